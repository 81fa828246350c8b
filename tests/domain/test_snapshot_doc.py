"""docs/snapshot.md stays true: its example plans as described, and every field is documented."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from pydantic import BaseModel

from rebalancer.domain.decide import decide
from rebalancer.domain.market import MarketRules, Quote
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.snapshot import Position, Snapshot
from rebalancer.domain.snapshot_json import parse_snapshot
from tests.domain_fixtures import SEED_PATH

DOC = (SEED_PATH.parents[1] / "docs" / "snapshot.md").read_text(encoding="utf-8")


def _rows() -> dict[str, list[str]]:
    """Table rows keyed by their first cell's `name` (the last table wins on repeats)."""
    rows: dict[str, list[str]] = {}
    for line in DOC.splitlines():
        match = re.match(r"^\| `([a-z_]+)` \|(.*)\|$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def test_the_minimal_example_plans_as_the_doc_says() -> None:
    block = re.search(r"<!-- minimal-snapshot -->\n```json\n(.*?)```", DOC, re.DOTALL)
    assert block is not None
    plan = decide(parse_snapshot(block.group(1)))
    assert [row.asset for row in plan.assets] == ["BTC", "USDT"]
    assert plan.of("BTC").verdict == "execute"
    assert [(o.side, o.amount, o.price) for o in plan.orders] == [
        ("sell", Decimal("0.15022"), Decimal("60000.00"))
    ]


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'`"{value}"`'
    return str(value)


def test_every_policy_setting_is_documented_with_its_default() -> None:
    rows = _rows()
    for name, field in PolicySettings.model_fields.items():
        assert name in rows, f"policy.{name} is missing from docs/snapshot.md"
        assert rows[name][1] == _shown(field.default), f"policy.{name}: default differs"


@pytest.mark.parametrize(
    "model", [Snapshot, Position, Quote, MarketRules], ids=lambda m: m.__name__
)
def test_every_input_field_is_documented(model: type[BaseModel]) -> None:
    documented = set(_rows()) | set(re.findall(r'"([a-z_]+)"', DOC))
    implied_by_key = {"symbol", "base", "quote"} if model is MarketRules else set()
    missing = set(model.model_fields) - documented - implied_by_key
    assert missing == set()
