"""The snapshot reader is bounded: in size, in nesting and in the digits any number carries.

Whatever the text, ``parse_snapshot`` returns a snapshot or raises ``InvalidInput`` naming
a field, quickly, and what it accepts plans to a small output.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebalancer.cli.plan import plan_json
from rebalancer.domain.decide import decide
from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.snapshot_json import (
    MAX_DEPTH,
    MAX_TEXT_CHARS,
    load_json_exact,
    parse_snapshot,
)
from tests.domain.strategies import PROPERTY
from tests.domain.test_hostile_input import LEAVES, _replace
from tests.domain_fixtures import seed_data

SECONDS = 2.0
# The seed's plan is about 4 kB; no number may blow it up by more than a few kilobytes.
OUTPUT_CHARS = 40_000


def _with_literal(path: tuple[Any, ...], literal: str) -> str:
    data = seed_data()
    _replace(data, path, "@@HOLE@@")
    return json.dumps(data).replace('"@@HOLE@@"', literal)


def _planned_or_refused(text: str) -> InvalidInput | int:
    """The refusal, or the size of the plan's JSON."""
    started = time.perf_counter()
    try:
        plan = decide(parse_snapshot(text))
    except InvalidInput as error:
        refusal: InvalidInput | int = error
    else:
        refusal = len(json.dumps(plan_json(plan)))
    assert time.perf_counter() - started < SECONDS
    return refusal


# Literals whose exact value or fixed-point text runs to millions of digits: as JSON numbers
# and as the strings the documented format uses.
LITERALS = ["1E-10000000", "0E-10000000", "-0E-10000000", "1E+10000000", "0E+10000000"]


@pytest.mark.parametrize("literal", LITERALS)
def test_every_field_holding_a_long_literal_is_planned_small_or_refused(literal: str) -> None:
    problems = []
    for path in LEAVES:
        for text in (_with_literal(path, literal), _with_literal(path, f'"{literal}"')):
            outcome = _planned_or_refused(text)
            if isinstance(outcome, int) and outcome > OUTPUT_CHARS:
                problems.append(f"{path}: {outcome} characters of plan")
            if isinstance(outcome, InvalidInput) and len(str(outcome)) > 300:
                problems.append(f"{path}: an error of {len(str(outcome))} characters")
    assert problems == []


@pytest.mark.parametrize(
    ("field", "literal"),
    [
        ("targets.BTC", "1E-999999999"),
        ("targets.BTC", '"1E-999999999"'),
        ("positions.0.quantity", '"1E-999999999"'),
        ("prices.BTC/USDT.bid", "1E-999999999"),
        ("history.BTC.0", '"1E-999999999"'),
        ("policy.volatility_half_life_hours", '"1E-999999999"'),
        # An integer setting would turn this Decimal into a billion-digit int.
        ("policy.depth_levels", "1E+999999999"),
    ],
)
def test_1e_minus_999999999_is_refused_by_name_at_once(field: str, literal: str) -> None:
    data = seed_data()
    data["history"] = {"BTC": ["0.1"]}
    data.setdefault("policy", {}).update(volatility_half_life_hours="24", depth_levels=10)
    path = tuple(int(part) if part.isdigit() else part for part in field.split("."))
    _replace(data, path, "@@HOLE@@")
    outcome = _planned_or_refused(json.dumps(data).replace('"@@HOLE@@"', literal))
    assert isinstance(outcome, InvalidInput)
    assert outcome.field == field


@PROPERTY
@given(
    path=st.sampled_from(LEAVES),
    depth=st.one_of(st.integers(1, 2 * MAX_DEPTH), st.integers(2 * MAX_DEPTH, 100_000)),
    opener=st.sampled_from(["[", '{"a":']),
)
def test_any_nesting_is_refused_by_path_or_validated(
    path: tuple[Any, ...], depth: int, opener: str
) -> None:
    closer = "]" if opener == "[" else "}"
    nested = opener * depth + ("" if opener == "[" else "1") + closer * depth
    outcome = _planned_or_refused(_with_literal(path, nested))
    # Nothing nested is a valid value for any leaf of a snapshot.
    assert isinstance(outcome, InvalidInput)
    assert outcome.field
    assert len(str(outcome)) < 300
    if depth > MAX_DEPTH:
        assert "nested" in outcome.rule


def test_a_document_nested_within_the_parser_limit_is_refused_without_recursion() -> None:
    # Deep enough to parse, deeper than any snapshot: the walk must not recurse on it.
    for depth in (MAX_DEPTH + 1, 500, 900):
        with pytest.raises(InvalidInput, match="nested deeper"):
            load_json_exact("[" * depth + "]" * depth)


def test_a_text_beyond_the_size_limit_is_refused_before_parsing() -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidInput) as caught:
        parse_snapshot(" " * (MAX_TEXT_CHARS + 1))
    assert caught.value.field == "snapshot"
    assert "MiB" in caught.value.rule
    assert time.perf_counter() - started < SECONDS


def test_a_policy_text_names_its_option_and_its_fields() -> None:
    with pytest.raises(InvalidInput) as caught:
        load_json_exact("[" * 100_000, field="--policy", root="policy")
    assert caught.value.field == "--policy"
    with pytest.raises(InvalidInput) as caught:
        load_json_exact('{"band": NaN}', field="--policy", root="policy")
    assert caught.value.field == "policy.band"
    with pytest.raises(InvalidInput) as caught:
        load_json_exact("NaN", field="--policy", root="")
    assert caught.value.field == "--policy"
