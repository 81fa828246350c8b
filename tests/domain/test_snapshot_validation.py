"""Every bad-input rule is refused with the field and the rule; good numbers parse exactly."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from rebalancer.domain.drift import compute_drift
from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.market import Quote
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.snapshot import Position, validate_targets
from rebalancer.domain.snapshot_json import load_json_exact, parse_snapshot
from tests.domain_fixtures import seed_data

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split("|")
        node: Any = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split("|")
        node: Any = data
        for key in parents:
            node = node[key]
        del node[last]

    return mutate


def _targets(**weights: str) -> Mutation:
    return _set("targets", weights)


def _add_position(asset: str, quantity: str) -> Mutation:
    return lambda data: data["positions"].append({"asset": asset, "quantity": quantity})


def _all_quantities(quantity: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        for position in data["positions"]:
            position["quantity"] = quantity

    return mutate


def refused(data: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        compute_drift(parse_snapshot(json.dumps(data)))
    return caught.value


# (mutation, field the error must name, words the rule must contain)
BAD_FIELDS: dict[str, tuple[Mutation, str, str]] = {
    "negative quantity": (
        _set("positions|0|quantity", "-1.5"),
        "positions.0.quantity",
        "greater than or equal to 0",
    ),
    "NaN string": (_set("positions|0|quantity", "NaN"), "positions.0.quantity", "finite"),
    "sNaN string": (_set("positions|1|quantity", "sNaN"), "positions.1.quantity", "finite"),
    "Infinity string": (_set("prices|BTC/USDT|ask", "Infinity"), "prices.BTC/USDT.ask", "finite"),
    "non-numeric": (_set("positions|0|quantity", "1.5 BTC"), "positions.0.quantity", "decimal"),
    "boolean": (_set("positions|0|quantity", True), "positions.0.quantity", "boolean"),
    "negative price": (_set("prices|ETH/USDT|bid", "-1"), "prices.ETH/USDT.bid", "greater than 0"),
    "zero tick": (
        _set("markets|BTC/USDT|tick_size", "0"),
        "markets.BTC/USDT.tick_size",
        "greater than 0",
    ),
    "negative target": (
        _targets(BTC="-0.10", ETH="0.85", USDT="0.25"),
        "targets.BTC",
        "greater than or equal to 0",
    ),
    "duplicate asset in positions": (
        _add_position("BTC", "1"),
        "positions.3.asset",
        "duplicate asset BTC",
    ),
    "held asset without a price": (_add_position("XRP", "1"), "prices.XRP/USDT", "no price"),
    "unknown asset in history": (
        _set("history|DOGE", ["0.1"]),
        "history.DOGE",
        "unknown asset",
    ),
    "unknown asset in volatility": (
        _set("volatility|DOGE", "0.5"),
        "volatility.DOGE",
        "unknown asset",
    ),
    "unknown asset in correlation": (
        _set("correlation", {"BTC": {"DOGE": "0.5"}}),
        "correlation.BTC.DOGE",
        "unknown asset DOGE",
    ),
    "quote in correlation": (
        _set("correlation", {"BTC": {"USDT": "0.1"}}),
        "correlation.BTC.USDT",
        "quote currency",
    ),
    "an asset's correlation with itself": (
        _set("correlation", {"ETH": {"ETH": "1"}}),
        "correlation.ETH.ETH",
        "itself",
    ),
    "a pair given in both orders": (
        _set("correlation", {"BTC": {"ETH": "0.8"}, "ETH": {"BTC": "0.7"}}),
        "correlation.ETH.BTC",
        "each pair once",
    ),
    "correlation beyond 1": (
        _set("correlation", {"BTC": {"ETH": "1.01"}}),
        "correlation.BTC.ETH",
        "less than or equal to 1",
    ),
    "default correlation below -1": (
        _set("policy|default_correlation", "-2"),
        "policy.default_correlation",
        "greater than or equal to -1",
    ),
    "symbol with no price": (_drop("prices|ETH/USDT"), "prices.ETH/USDT", "no price"),
    "symbol with no market": (_drop("markets|ETH/USDT"), "markets.ETH/USDT", "no market"),
    "targets short of 1": (
        _targets(BTC="0.40", ETH="0.35", USDT="0.24"),
        "targets",
        "sum to exactly 1",
    ),
    "targets over 1": (_targets(BTC="0.5", ETH="0.35", USDT="0.25"), "targets", "exactly 1"),
    "targets over 1 in the 40th digit": (
        _targets(BTC="0.5", ETH="0.5", USDT="1e-40"),
        "targets",
        "exactly 1",
    ),
    "targets without cash": (_targets(BTC="0.6", ETH="0.4"), "targets", "quote currency USDT"),
    "zero equity": (_all_quantities("0"), "positions", "equity must be positive"),
    "free above quantity": (_set("positions|0|free", "2"), "positions.0", "free"),
    "crossed quote": (
        _set("prices|BTC/USDT", {"bid": "2", "ask": "1"}),
        "prices.BTC/USDT",
        "crossed",
    ),
    "bid without ask": (_set("prices|BTC/USDT", {"bid": "2"}), "prices.BTC/USDT", "together"),
    "unsorted book": (
        lambda d: d["books"]["ETH/USDT"]["asks"].reverse(),
        "books.ETH/USDT",
        "sorted lowest first",
    ),
    "lower-case asset": (_add_position("btc", "1"), "positions.3.asset", "pattern"),
    "market key unlike its symbol": (
        lambda d: d["markets"].__setitem__("BTCUSDT", {"tick_size": "1", "step_size": "1"}),
        "markets.BTCUSDT.symbol",
        "required",
    ),
    "quantity beyond 1e30": (_set("positions|0|quantity", "1e31"), "positions.0.quantity", "1e30"),
    "price below 1e-30": (_set("prices|BTC/USDT|bid", "1e-31"), "prices.BTC/USDT.bid", "1e-30"),
    "absurd exponent": (_set("positions|1|quantity", "1e999990"), "positions.1.quantity", "1e30"),
    "drift sample beyond 1": (
        _set("history|BTC", ["1e6", "0"]),
        "history.BTC.0",
        "less than or equal to 1",
    ),
    "absurd risk aversion": (
        _set("policy|risk_aversion", "1e999990"),
        "policy.risk_aversion",
        "1e30",
    ),
    "slippage budget above 100%": (
        _set("policy|slippage_budget_bps", "10001"),
        "policy.slippage_budget_bps",
        "10000",
    ),
    "band edge without band": (
        lambda d: d["policy"].update(sizing="band_edge", band="0"),
        "policy",
        "band > 0",
    ),
    "unknown setting": (_set("policy|risk", "5"), "policy.risk", "Extra inputs"),
}


@pytest.mark.parametrize("case", list(BAD_FIELDS), ids=list(BAD_FIELDS))
def test_bad_input_is_refused_naming_field_and_rule(case: str) -> None:
    mutate, field, rule = BAD_FIELDS[case]
    data = seed_data()
    mutate(data)
    error = refused(data)
    assert error.field == field
    assert rule in error.rule
    assert "\n" not in str(error)


# Mistakes only the JSON text can hold.
BAD_TEXT: dict[str, tuple[Callable[[str], str], str, str]] = {
    "NaN literal": (lambda t: t.replace('"1.5"', "NaN"), "positions.0.quantity", "NaN"),
    "Infinity literal": (
        lambda t: t.replace('"64230.01"', "Infinity", 1),
        "prices.BTC/USDT.ask",
        "Infinity",
    ),
    "-Infinity literal": (lambda t: t.replace('"0.40"', "-Infinity"), "targets.BTC", "Infinity"),
    "duplicate key in targets": (
        lambda t: t.replace('"USDT": "0.25"', '"USDT": "0.25", "BTC": "0.40"'),
        "targets.BTC",
        "duplicate key",
    ),
    "duplicate key in a quote": (
        lambda t: t.replace('"bid": "3449.99"', '"bid": "3449.99", "bid": "3449.98"'),
        "prices.ETH/USDT.bid",
        "duplicate key",
    ),
    "invalid JSON": (lambda t: t[:-3], "snapshot", "not valid JSON"),
    "not an object": (lambda t: f"[{t}]", "snapshot", "JSON object"),
    "nested too deeply": (lambda t: "[" * 100_000 + "]" * 100_000, "snapshot", "too deeply"),
    "integer of 5000 digits": (
        lambda t: t.replace('"25.0"', "9" * 5000),
        "snapshot",
        "not valid JSON",
    ),
}


@pytest.mark.parametrize("case", list(BAD_TEXT), ids=list(BAD_TEXT))
def test_bad_json_text_is_refused_naming_field_and_rule(case: str) -> None:
    rewrite, field, rule = BAD_TEXT[case]
    text = rewrite(json.dumps(seed_data(), indent=1))
    with pytest.raises(InvalidInput) as caught:
        parse_snapshot(text)
    assert caught.value.field == field
    assert rule in caught.value.rule


def test_json_numbers_are_parsed_exactly_never_through_float() -> None:
    text = json.dumps(seed_data()).replace('"1.5"', "1.5").replace('"0.40"', "0.40")
    text = text.replace('"64230.01"', "64230.010000000000000000000000000001", 1)
    snapshot = parse_snapshot(text)
    assert snapshot.quantity("BTC") == Decimal("1.5")
    assert snapshot.targets["BTC"] == Decimal("0.40")
    assert snapshot.prices["BTC/USDT"].ask == Decimal("64230.010000000000000000000000000001")
    # 0.1 has no float representation; parsed through float it would not equal Decimal("0.1").
    assert load_json_exact('{"x": 0.1}')["x"] == Decimal("0.1")


def test_a_python_float_is_refused_because_it_is_already_inexact() -> None:
    with pytest.raises(ValidationError, match="not a float"):
        Position(asset="BTC", quantity=0.1)
    with pytest.raises(ValidationError, match="not a float"):
        Quote(last=64230.01)


def test_validate_targets_names_the_field_for_every_caller() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_targets({"BTC": Decimal("0.5"), "USDT": Decimal("0.4")}, "USDT")
    assert caught.value.field == "targets"
    assert "0.9" in caught.value.rule


def test_policy_defaults_are_valid_and_bounded_fields_keep_their_defaults() -> None:
    policy = PolicySettings()
    assert policy.velocity_window == 3
    assert policy.depth_levels == 10
    assert policy.max_depth_fraction == Decimal("0.01")
    assert policy.slippage_budget_bps == Decimal("50")
