"""A passive order that fills partly, times out and is cancelled: the remainder is accounted
for and re-placed (as a marketable order within the slippage budget), under its own id."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from temporalio.testing import WorkflowEnvironment

from rebalancer.pipeline.messages import AccountConfig
from tests.workflows.scenario import harness, memory_venue
from tests.workflows.test_timers import eventually


async def test_partial_fill_then_cancel_replaces_the_remainder(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    venue = memory_venue(USDT="100000", BTC="0")
    config = AccountConfig.model_validate(
        {
            "account_id": "partial-1",
            "venue": "paper",
            "targets": {"BTC": "0.5", "USDT": "0.5"},
            "policy": {"execution_style": "passive", "fill_timeout_seconds": 1},
        }
    )
    async with harness(time_skipping_env.client, venue) as h:
        handle = await h.start(config)
        for _ in range(1500):
            if venue.placements:
                break
            await asyncio.sleep(0.02)
        first = venue.placements[0]
        resting = venue.orders[first]
        assert resting.status == "open", "a passive buy rests at the bid"
        half = (resting.amount / 2).quantize(Decimal("0.00001"))
        venue.fill(first, half)

        status = await eventually(
            lambda: h.status(handle), lambda s: s.totals.get("orders_placed", 0) >= 2
        )
        assert len(venue.placements) == 2
        second = venue.placements[1]
        assert first.endswith("-BTC-0")
        assert second.endswith("-BTC-1"), "the re-placed remainder gets its own client id"
        cancelled = venue.orders[first]
        replaced = venue.orders[second]
        assert cancelled.status == "canceled"
        assert cancelled.filled == half
        assert replaced.amount == resting.amount - half, "only the remainder is re-placed"
        assert replaced.filled == replaced.amount
        assert venue.free["BTC"] == resting.amount
        ledger_first = h.ledger.orders[first]
        assert ledger_first.status == "canceled"
        assert ledger_first.filled_quantity == half
        assert h.ledger.orders[second].status == "closed"
        fills = [f for f in h.ledger.fills.values() if f.account_id == "partial-1"]
        assert sum(f.quantity for f in fills) == resting.amount
        assert status.last_cycle is not None
        await handle.terminate()
