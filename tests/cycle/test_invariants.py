"""Invariants of the trading cycle over random markets, targets, balances and fills.

Through both ports: the workflow's activity functions on an in-memory venue (the host that
the parity test shows places what the workflow places), and the backtest's desk on the
paper venue's calm market with its matching engine. For every run:

- no order beyond the free balance at the price sent, fees included (both venues refuse
  one, and a refusal fails the run);
- every held asset is in the plan (valued, and sold when it has no target);
- in a calm, liquid market every target, 0 included, is reached within a few checks (before
  the third regular check; held legs retry in between on their timers);
- client order ids are unique; within a cycle every sell comes before any buy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebalancer.backtest.cost_aware import CostAware
from rebalancer.backtest.desk import ACCOUNT_ID, Desk
from rebalancer.backtest.markets import instruments_for, market_spec
from rebalancer.domain.decide import Plan
from rebalancer.domain.policy_settings import PolicySettings
from tests.cycle.in_process_port import START, InProcessPort
from tests.workflows.memory_venue import MemoryVenue
from tests.workflows.scenario import MIDS, RULES, book

BAND = Decimal("0.02")
INTERVAL = timedelta(hours=1)
# "A few checks": every target is reached before the third regular check.
CHECKS = 3
POLICY = PolicySettings(
    execution_style="marketable", sizing="target", band=BAND, check_interval_seconds=3600
)


@st.composite
def targets(draw: st.DrawFn, assets: list[str]) -> dict[str, Decimal]:
    """Weights in twentieths over a random subset of ``assets``, cash included; zeros too."""
    chosen = draw(st.lists(st.sampled_from(assets), unique=True, max_size=len(assets)))
    parts = draw(st.lists(st.integers(0, 20), min_size=len(chosen), max_size=len(chosen)))
    total = sum(parts)
    if total > 20:
        parts = [p * 20 // total for p in parts]
    weights = {a: Decimal(p) / 20 for a, p in zip(chosen, parts, strict=True)}
    weights["USDT"] = 1 - sum(weights.values(), Decimal(0))
    return weights


def _sells_before_buys(orders: Iterable[tuple[str, str]]) -> None:
    """``orders``: (client id, side) in placement order."""
    by_cycle: dict[str, list[str]] = {}
    for client_id, side in orders:
        by_cycle.setdefault(client_id.split("-")[2], []).append(side)
    for cycle, sides in by_cycle.items():
        assert sides == sorted(sides, key=lambda s: s != "sell"), (cycle, sides)


def _held_in_plan(plan: Plan | None, held: Mapping[str, Decimal]) -> None:
    assert plan is not None
    planned = {row.asset for row in plan.assets}
    assert {a for a, q in held.items() if q > 0} <= planned


def _reached(
    holdings: Mapping[str, Decimal], mids: Mapping[str, Decimal], goal: Mapping[str, Decimal]
) -> bool:
    values = {a: q * mids.get(a, Decimal(1)) for a, q in holdings.items()}
    equity = sum(values.values(), Decimal(0))
    for asset, value in values.items():
        if asset == "USDT":
            continue
        if goal.get(asset, Decimal(0)) == 0:
            if value >= Decimal(10):  # more than dust: the minimum order
                return False
        elif abs(value / equity - goal[asset]) > BAND:
            return False
    return True


# Through the workflow's activity functions -------------------------------------------


async def _activities_run(
    goal: dict[str, Decimal], balances: dict[str, Decimal], depth: Decimal
) -> None:
    venue = MemoryVenue(dict(RULES), {s: book(s, depth) for s in RULES}, dict(balances))
    port = InProcessPort(venue, account_id="inv")
    host = CostAware(goal, "USDT", POLICY, START)
    host.account_id = "inv"
    mids = {s.partition("/")[0]: m for s, m in MIDS.items()}
    reached_at = None
    while port.clock < START + CHECKS * INTERVAL and reached_at is None:
        port.clock = max(port.clock, host.next_wake())
        await host.run_due(port)
        held = {
            a: venue.free.get(a, Decimal(0)) + venue.locked.get(a, Decimal(0)) for a in venue.free
        }
        _held_in_plan(host.last_plan, held)
        if not host.queued and _reached(held, mids, goal):
            reached_at = port.clock - START
    assert port.refusals == [], "an order beyond the free balance was refused"
    assert len(set(venue.placements)) == len(venue.placements)
    _sells_before_buys((c, venue.orders[c].side) for c in venue.placements)
    if depth >= 50:
        # Liquid: 1% of the top ten levels takes any of these legs in a few slices.
        assert reached_at is not None, (venue.free, goal)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    goal=targets(["BTC", "ETH"]),
    usdt=st.integers(0, 60_000).map(Decimal),
    btc=st.integers(0, 100).map(lambda n: Decimal(n) / 100),
    eth=st.integers(0, 200).map(lambda n: Decimal(n) / 10),
    depth=st.sampled_from([Decimal("5"), Decimal("50"), Decimal("500")]),
)
def test_invariants_through_the_activities(
    goal: dict[str, Decimal], usdt: Decimal, btc: Decimal, eth: Decimal, depth: Decimal
) -> None:
    equity = usdt + btc * MIDS["BTC/USDT"] + eth * MIDS["ETH/USDT"]
    if equity < Decimal(5_000):
        usdt += Decimal(5_000)
    asyncio.run(_activities_run(goal, {"USDT": usdt, "BTC": btc, "ETH": eth}, depth))


# Through the backtest's desk on the paper venue ----------------------------------------

INSTRUMENTS = instruments_for(["BTC", "ETH", "LINK"], Decimal("0.001"), Decimal("0.001"))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    goal=targets(["BTC", "ETH", "LINK"]),
    seed=st.integers(1, 1000),
    shares=st.lists(st.integers(0, 10), min_size=4, max_size=4),
)
def test_invariants_through_the_backtest_desk(
    goal: dict[str, Decimal], seed: int, shares: list[int]
) -> None:
    spec = market_spec(
        "calm", INSTRUMENTS, seed=seed, first=date(2024, 1, 1), last=date(2024, 1, 1)
    )
    assets = ["BTC", "ETH", "LINK"]
    desk = Desk(spec.venue(), "USDT", assets, spec.start)
    # Random holdings worth 100,000 at the first mids, in any asset, targeted or not.
    weights = [Decimal(s) for s in shares] if sum(shares) else [Decimal(1)] * 4
    total = sum(weights, Decimal(0))
    balances = {"USDT": Decimal(100_000) * weights[3] / total}
    for asset, weight in zip(assets, weights, strict=False):
        step = desk.rules(asset).step_size
        balances[asset] = (Decimal(100_000) * weight / total / desk.mid(asset)).quantize(step)
    desk.venue.add_account(ACCOUNT_ID, balances)
    host = CostAware(goal, "USDT", POLICY, spec.start)
    reached_at = None
    while desk.clock < spec.start + CHECKS * INTERVAL and reached_at is None:
        desk.advance(host.next_wake())
        host.run(desk)
        held = desk.totals()
        _held_in_plan(host.last_plan, held)
        mids = {a: desk.mid(a) for a in assets}
        if not host.queued and _reached(held, mids, goal):
            reached_at = desk.clock - spec.start
    assert "insufficient_balance" not in desk.rejected, desk.rejected
    ids = [placed.order.client_order_id for placed in desk.placed]
    assert len(set(ids)) == len(ids)
    _sells_before_buys((p.order.client_order_id, p.order.side) for p in desk.placed)
    assert reached_at is not None, (desk.totals(), goal)
