"""Snapshots for tests: the seed example and small synthetic accounts, as file data.

Builders return the JSON-ready dict a snapshot file holds (decimals as strings), so a test
can break one field and feed it to ``parse_snapshot`` or to ``rebalancer plan``.

Register with ``pytest_plugins = ["tests.domain_fixtures"]`` in the root conftest.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rebalancer.domain.market import symbol_for
from rebalancer.domain.numbers import plain
from rebalancer.domain.snapshot import Snapshot
from rebalancer.domain.snapshot_json import parse_snapshot

SEED_PATH = Path(__file__).resolve().parents[1] / "examples" / "seed-snapshot.json"
_SEED: dict[str, Any] = json.loads(SEED_PATH.read_text(encoding="utf-8"))


def seed_data() -> dict[str, Any]:
    """A fresh copy of examples/seed-snapshot.json, safe to mutate."""
    return copy.deepcopy(_SEED)


def ladder(
    mid: Decimal,
    half_spread: Decimal,
    gap: Decimal,
    quantities: list[Decimal],
) -> dict[str, list[list[str]]]:
    """A book symmetric around ``mid``: level i sits half_spread + i * gap away each side."""
    bids = [[plain(mid - half_spread - i * gap), plain(q)] for i, q in enumerate(quantities)]
    asks = [[plain(mid + half_spread + i * gap), plain(q)] for i, q in enumerate(quantities)]
    return {"bids": bids, "asks": asks}


# The settings these tests' expectations were worked out with. They are pinned here, not taken
# from PolicySettings' defaults, so tuning the defaults (docs/value.md) cannot silently change
# what a rule test checks.
RULE_TEST_POLICY: dict[str, str] = {
    "risk_aversion": "5",
    "band": "0.01",
    "band_rule": "fixed",
    "sizing": "target",
    "execution_style": "passive",
}


def account(
    holdings: Mapping[str, tuple[Decimal, Decimal]],
    cash: Decimal,
    targets: Mapping[str, Decimal],
    *,
    quote: str = "USDT",
    half_spread: Decimal = Decimal("0.01"),
    gap: Decimal = Decimal("0.01"),
    level_quantity: Decimal = Decimal("1000"),
    levels: int = 10,
    step: Decimal = Decimal("0.0001"),
    tick: Decimal = Decimal("0.01"),
    min_notional: Decimal = Decimal("5"),
    fee: Decimal = Decimal("0.001"),
    free: Mapping[str, Decimal] | None = None,
    history: Mapping[str, list[Decimal]] | None = None,
    policy: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Snapshot data for ``holdings`` {asset: (quantity, mid)} plus ``cash`` of ``quote``.

    Every asset gets a symmetric ladder book, a quote at its touch and the same filters.
    ``targets`` must include ``quote``.
    """
    free = free or {}
    positions: list[dict[str, str]] = []
    for asset, (quantity, _) in holdings.items():
        position = {"asset": asset, "quantity": plain(quantity)}
        if asset in free:
            position["free"] = plain(free[asset])
        positions.append(position)
    cash_position = {"asset": quote, "quantity": plain(cash)}
    if quote in free:
        cash_position["free"] = plain(free[quote])
    positions.append(cash_position)
    prices: dict[str, Any] = {}
    books: dict[str, Any] = {}
    markets: dict[str, Any] = {}
    for asset, (_, mid) in holdings.items():
        symbol = symbol_for(asset, quote)
        prices[symbol] = {"bid": plain(mid - half_spread), "ask": plain(mid + half_spread)}
        books[symbol] = ladder(mid, half_spread, gap, [level_quantity] * levels)
        markets[symbol] = {
            "tick_size": plain(tick),
            "step_size": plain(step),
            "min_qty": plain(step),
            "min_notional": plain(min_notional),
            "maker_fee": plain(fee),
            "taker_fee": plain(fee),
        }
    return {
        "quote": quote,
        "positions": positions,
        "prices": prices,
        "books": books,
        "targets": {asset: plain(weight) for asset, weight in targets.items()},
        "markets": markets,
        "history": {a: [plain(s) for s in samples] for a, samples in (history or {}).items()},
        "policy": {**RULE_TEST_POLICY, **(policy or {})},
    }


def snapshot_of(data: Mapping[str, Any]) -> Snapshot:
    """Parse snapshot data the way ``rebalancer plan`` parses a file."""
    return parse_snapshot(json.dumps(data))


@pytest.fixture
def seed_snapshot_data() -> dict[str, Any]:
    return seed_data()


@pytest.fixture
def seed_snapshot() -> Snapshot:
    return snapshot_of(_SEED)
