"""Durable timers under time skipping: a leg the book cannot take waits, then executes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal

from temporalio.testing import WorkflowEnvironment

from rebalancer.pipeline.messages import AccountStatus
from tests.workflows.history_recording import record_history
from tests.workflows.scenario import RULES, book, half_btc, harness, memory_venue


async def eventually(
    probe: Callable[[], Awaitable[AccountStatus]],
    check: Callable[[AccountStatus], bool],
    attempts: int = 200,
) -> AccountStatus:
    status = await probe()
    for _ in range(attempts):
        if check(status):
            return status
        await asyncio.sleep(0.05)
        status = await probe()
    raise AssertionError(f"condition never held; last status: {status}")


async def test_queued_leg_waits_for_depth_then_executes(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    venue = memory_venue("0.0001", USDT="100000", BTC="0")
    config = half_btc("timers-1", requeue_base_seconds=30)
    async with harness(time_skipping_env.client, venue) as h:
        handle = await h.start(config)
        queued = await eventually(lambda: h.status(handle), lambda s: bool(s.queued))
        assert queued.queued[0].asset == "BTC"
        assert queued.queued[0].side == "buy"
        assert venue.placements == [], "a thin book must not get an order"

        venue.books = {s: book(s, Decimal("100")) for s in RULES}
        await time_skipping_env.sleep(timedelta(seconds=31))
        done = await eventually(
            lambda: h.status(handle), lambda s: s.totals.get("orders_filled", 0) >= 1
        )

        assert not done.queued
        assert venue.placements, "the re-assessed leg must be placed once depth is back"
        # Half of 100,000 USDT goes to BTC, less fees and the fee buffer.
        assert venue.free["BTC"] * Decimal(64000) > Decimal(49_000)
        assert len(venue.placements) == 1
        await handle.terminate()
        await record_history(handle, "queued-leg")


async def test_leg_larger_than_the_book_is_sliced_across_timers(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    # 10 levels of 5 BTC: one order may take 1% of that, 0.5 BTC, of the ~0.78 BTC needed.
    venue = memory_venue("5", USDT="100000", BTC="0")
    config = half_btc("slices-1", requeue_base_seconds=30)
    async with harness(time_skipping_env.client, venue) as h:
        handle = await h.start(config)
        first = await eventually(lambda: h.status(handle), lambda s: bool(s.queued))
        assert "sliced" in first.queued[0].reason
        assert venue.free["BTC"] == Decimal("0.5")

        await time_skipping_env.sleep(timedelta(seconds=31))
        done = await eventually(lambda: h.status(handle), lambda s: not s.queued)
        assert len(venue.placements) == 2
        assert venue.free["BTC"] * Decimal(64000) > Decimal(49_000)
        assert done.totals["orders_filled"] == 2
        await handle.terminate()
        await record_history(handle, "sliced-leg")
