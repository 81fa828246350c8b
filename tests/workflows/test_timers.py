"""Durable timers under time skipping: a leg the book cannot take waits, then executes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from rebalancer.pipeline.messages import AccountStatus
from tests.workflows.scenario import (
    RULES,
    Harness,
    book,
    half_btc,
    memory_venue,
    recorded_account,
)
from workflows import AccountWorkflow


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


@asynccontextmanager
async def queued_account(
    env: WorkflowEnvironment, depth: str, account_id: str, history: str
) -> AsyncIterator[tuple[Harness, WorkflowHandle[AccountWorkflow, None], AccountStatus]]:
    """Half BTC wanted, 100,000 USDT held, books `depth` BTC a level, legs requeued after
    30 s: the account running once a leg is queued."""
    venue = memory_venue(depth, USDT="100000", BTC="0")
    config = half_btc(account_id, requeue_base_seconds=30)
    async with recorded_account(env.client, venue, config, history) as (h, handle):
        yield h, handle, await eventually(lambda: h.status(handle), lambda s: bool(s.queued))


async def test_queued_leg_waits_for_depth_then_executes(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    started = queued_account(time_skipping_env, "0.0001", "timers-1", "queued-leg")
    async with started as (h, handle, queued):
        assert queued.queued[0].asset == "BTC"
        assert queued.queued[0].side == "buy"
        assert h.venue.placements == [], "a thin book must not get an order"

        h.venue.books = {s: book(s, Decimal("100")) for s in RULES}
        await time_skipping_env.sleep(timedelta(seconds=31))
        done = await eventually(
            lambda: h.status(handle), lambda s: s.totals.get("orders_filled", 0) >= 1
        )

        assert not done.queued
        assert h.venue.placements, "the re-assessed leg must be placed once depth is back"
        # Half of 100,000 USDT goes to BTC, less fees and the fee buffer.
        assert h.venue.free["BTC"] * Decimal(64000) > Decimal(49_000)
        assert len(h.venue.placements) == 1


async def test_leg_larger_than_the_book_is_sliced_across_timers(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    # 10 levels of 5 BTC: one order may take 1% of that, 0.5 BTC, of the ~0.78 BTC needed.
    started = queued_account(time_skipping_env, "5", "slices-1", "sliced-leg")
    async with started as (h, handle, first):
        assert "sliced" in first.queued[0].reason
        assert h.venue.free["BTC"] == Decimal("0.5")

        await time_skipping_env.sleep(timedelta(seconds=31))
        done = await eventually(lambda: h.status(handle), lambda s: not s.queued)
        assert len(h.venue.placements) == 2
        assert h.venue.free["BTC"] * Decimal(64000) > Decimal(49_000)
        assert done.totals["orders_filled"] == 2
