"""Parity: one scripted market, two hosts, the same orders.

The account workflow (on the time-skipping server, its activities on an in-memory venue)
and the backtest's host (``CostAware``, here given the same activities in process as its
port) run the same account on identical copies of a scripted market: static books thin
enough that legs are sliced and held on timers, sells that fund buys, an asset held without
a target. Both must place the identical sequence of orders: client id, side, amount, price.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.testing import WorkflowEnvironment

from rebalancer.backtest.cost_aware import CostAware
from rebalancer.domain.market import OrderBook
from rebalancer.pipeline.messages import AccountConfig
from tests.cycle.in_process_port import START, InProcessPort
from tests.workflows.memory_venue import MemoryVenue
from tests.workflows.scenario import RULES, book, harness, marketable_policy

Order = tuple[str, str, Decimal, Decimal]


@dataclass(frozen=True)
class Script:
    name: str
    targets: dict[str, str]
    balances: dict[str, str]
    depth: dict[str, str]

    def venue(self) -> MemoryVenue:
        books: dict[str, OrderBook] = {s: book(s, Decimal(self.depth[s])) for s in RULES}
        return MemoryVenue(dict(RULES), books, {a: Decimal(q) for a, q in self.balances.items()})


SCRIPTS = [
    # Sells of ETH fund sliced buys of BTC: the BTC book takes 1% of its top 10 levels.
    Script(
        "sliced-buys-after-sells",
        {"BTC": "0.5", "ETH": "0.1", "USDT": "0.4"},
        {"USDT": "20000", "BTC": "0", "ETH": "10"},
        {"BTC/USDT": "1.5", "ETH/USDT": "200"},
    ),
    # ETH is held without a target: sold toward 0; cash is scarce for the BTC buy.
    Script(
        "untargeted-asset-sold",
        {"BTC": "0.7", "USDT": "0.3"},
        {"USDT": "500", "BTC": "0.05", "ETH": "4"},
        {"BTC/USDT": "30", "ETH/USDT": "3"},
    ),
]


def _orders(venue: MemoryVenue) -> list[Order]:
    out: list[Order] = []
    for client_id in venue.placements:
        order = venue.orders[client_id]
        assert order.price is not None
        out.append((client_id, order.side, order.amount, order.price))
    return out


async def _backtest_host(
    script: Script, account_id: str, cycles: int, refusals: list[str] | None = None
) -> list[Order]:
    venue = script.venue()
    port = InProcessPort(venue, account_id=account_id)
    policy = CostAware(
        {a: Decimal(w) for a, w in script.targets.items()},
        "USDT",
        marketable_policy(check_interval_seconds=3600),
        START,
    )
    policy.account_id = account_id
    while policy.cycle < cycles:
        port.clock = max(port.clock, policy.next_wake())
        await policy.run_due(port)
    if refusals is not None:
        refusals.extend(port.refusals)
    return _orders(venue)


async def _workflow_host(
    env: WorkflowEnvironment, script: Script, account_id: str
) -> tuple[list[Order], int]:
    venue = script.venue()
    config = AccountConfig.model_validate(
        {
            "account_id": account_id,
            "venue": "paper",
            "targets": script.targets,
            "policy": marketable_policy(check_interval_seconds=3600).model_dump(mode="json"),
        }
    )
    async with harness(env.client, venue) as h:
        handle = await h.start(config)
        status = await h.status(handle)
        for _ in range(400):
            status = await h.status(handle)
            if status.cycle >= 1 and not status.queued and status.state == "idle":
                break
            if status.queued and status.state == "waiting":
                # Held legs wait on timers: skip to them (the worker runs in real time).
                await env.sleep(timedelta(seconds=31))
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"the workflow did not settle: {status}")
        await handle.terminate()
        assert status.last_cycle is not None
        assert status.last_cycle.status == "completed"
        return _orders(venue), status.cycle


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
async def test_the_workflow_and_the_backtest_place_the_same_orders(
    time_skipping_env: WorkflowEnvironment, script: Script
) -> None:
    account_id = f"parity-{SCRIPTS.index(script)}"
    live, cycles = await _workflow_host(time_skipping_env, script, account_id)
    replayed = await _backtest_host(script, account_id, cycles)
    assert len(live) >= 3, live
    assert live == replayed


# Random scripted markets: parity, and the cycle's invariants, through the workflow itself.


@st.composite
def scripts(draw: st.DrawFn) -> Script:
    btc = draw(st.integers(0, 20))
    eth = draw(st.integers(0, 20 - btc))
    return Script(
        "generated",
        {
            "BTC": str(Decimal(btc) / 20),
            "ETH": str(Decimal(eth) / 20),
            "USDT": str(Decimal(20 - btc - eth) / 20),
        },
        {
            "USDT": str(draw(st.integers(1_000, 60_000))),
            "BTC": str(Decimal(draw(st.integers(0, 60))) / 100),
            "ETH": str(Decimal(draw(st.integers(0, 100))) / 10),
        },
        {
            "BTC/USDT": draw(st.sampled_from(["2", "30", "300"])),
            "ETH/USDT": draw(st.sampled_from(["20", "300", "3000"])),
        },
    )


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=scripts())
async def test_random_scripted_markets_keep_parity_and_the_invariants(
    time_skipping_env: WorkflowEnvironment, script: Script
) -> None:
    account_id = f"parity-g{uuid.uuid4().hex[:8]}"
    live, cycles = await _workflow_host(time_skipping_env, script, account_id)
    refusals: list[str] = []
    replayed = await _backtest_host(script, account_id, cycles, refusals)
    assert live == replayed
    assert refusals == [], "an order beyond the free balance"
    ids = [order[0] for order in live]
    assert len(set(ids)) == len(ids)
    sides: dict[str, list[str]] = {}
    for client_id, side, _, _ in live:
        sides.setdefault(client_id.split("-")[2], []).append(side)
    for cycle, seen in sides.items():
        assert seen == sorted(seen, key=lambda s: s != "sell"), (cycle, seen)
