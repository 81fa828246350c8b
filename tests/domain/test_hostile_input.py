"""Any value in any field: the snapshot is planned or refused with InvalidInput, never a crash."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rebalancer.cli.plan import plan_json
from rebalancer.domain.decide import decide
from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.snapshot_json import parse_snapshot
from tests.domain.strategies import PROPERTY
from tests.domain_fixtures import seed_data


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in _leaves(value, (*path, key))]
    if isinstance(node, list):
        return [leaf for i, value in enumerate(node) for leaf in _leaves(value, (*path, i))]
    return [path]


SEED = seed_data()
LEAVES = _leaves(SEED)

hostile: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(
        [
            "0",
            "-0",
            "-1",
            "1e30",
            "1e31",
            "1e-30",
            "1e-31",
            "1e999999",
            "-1e999999",
            "1e-999999",
            "NaN",
            "sNaN",
            "-Infinity",
            "0x10",
            "",
            " 1",
            "1_000",
            "١٢",
            None,
            True,
            [],
            {},
            "BTC",
            "USDT",
        ]
    ),
    st.integers(-(10**40), 10**40),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.text(max_size=8),
)


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


@PROPERTY
@given(
    st.lists(st.tuples(st.sampled_from(LEAVES), hostile), min_size=1, max_size=3),
)
def test_hostile_values_are_planned_or_refused_never_crash(
    changes: list[tuple[tuple[Any, ...], Any]],
) -> None:
    data = seed_data()
    for path, value in changes:
        _replace(data, path, value)
    try:
        plan = decide(parse_snapshot(json.dumps(data)))
    except InvalidInput as error:
        refusal = error
    else:
        # Whatever was accepted plans to the wire format without trouble.
        encoded = json.loads(json.dumps(plan_json(plan)))
        for row in encoded["assets"]:
            Decimal(row["weight"])
        return
    assert refusal.field
    assert refusal.rule


@PROPERTY
@given(
    path=st.sampled_from(LEAVES),
    literal=st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999999", "1" * 5000, "-0.0"]),
)
def test_hostile_json_literals_are_refused_by_path_or_planned(
    path: tuple[Any, ...], literal: str
) -> None:
    data = seed_data()
    _replace(data, path, "@@HOLE@@")
    text = json.dumps(data).replace('"@@HOLE@@"', literal)
    refusal: InvalidInput | None = None
    try:
        decide(parse_snapshot(text))
    except InvalidInput as error:
        refusal = error
    if literal in ("NaN", "Infinity", "-Infinity"):
        assert refusal is not None
        assert refusal.field == ".".join(str(part) for part in path)
        assert literal in refusal.rule


def test_every_field_at_an_extreme_exponent_is_planned_or_refused() -> None:
    crashes = []
    for path in LEAVES:
        for extreme in ("1e999999", "-1e999999", "1e-999999", "1e-40", "1e40"):
            data = seed_data()
            _replace(data, path, extreme)
            try:
                decide(parse_snapshot(json.dumps(data)))
            except InvalidInput:
                pass
            except Exception as error:  # the point: anything else is a crash
                crashes.append(f"{path} = {extreme}: {type(error).__name__}")
    assert crashes == []
