"""Targets changed while a cycle's sells are in flight: the re-plan for the buys must not buy
back an asset the cycle just sold. Its client order id (account, cycle, asset, slice) is the
sell's, so the ledger refuses it; before this rule the refusal was retried without end and
wedged the account. The next cycle, forced by the update, buys it under ids of its own."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.errors import classified
from rebalancer.ledger.errors import LedgerConflict
from rebalancer.pipeline.messages import AccountConfig, TargetsUpdate
from tests.workflows.scenario import harness, memory_venue
from tests.workflows.test_timers import eventually
from workflows import AccountWorkflow


async def test_an_asset_sold_in_a_cycle_is_bought_back_only_in_the_next(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    venue = memory_venue(USDT="20000", BTC="0", ETH="10")
    config = AccountConfig.model_validate(
        {
            "account_id": "midcycle-1",
            "venue": "paper",
            "targets": {"BTC": "0.4", "ETH": "0.2", "USDT": "0.4"},
            "policy": {"execution_style": "passive", "fill_timeout_seconds": 5},
        }
    )
    async with harness(time_skipping_env.client, venue) as h:
        handle = await h.start(config)
        for _ in range(1500):
            if any(p.endswith("-ETH-0") for p in venue.placements):
                break
            await asyncio.sleep(0.02)
        sell = next(p for p in venue.placements if p.endswith("-ETH-0"))
        assert venue.orders[sell].side == "sell"
        assert venue.orders[sell].status == "open", "the passive sell rests"
        # ETH is now far under its new weight, even before the sell fills.
        await handle.execute_update(
            AccountWorkflow.set_targets,
            TargetsUpdate(targets={"BTC": "0.05", "ETH": "0.9", "USDT": "0.05"}),
        )
        venue.fill(sell)

        # The cycle's BTC buy rests its 5 s fill timeout in real time before the next cycle
        # buys ETH: allow for a loaded machine.
        await eventually(
            lambda: h.status(handle),
            lambda s: any(
                venue.orders[p].side == "buy" and p.endswith("-ETH-0") for p in venue.placements
            ),
            attempts=600,
        )
        cycle = sell.split("-")[2]
        eth = [p for p in venue.placements if "-ETH-" in p]
        ours = [p for p in eth if p.split("-")[2] == cycle]
        assert [venue.orders[p].side for p in ours] == ["sell"], ours
        later = [p for p in eth if p.split("-")[2] != cycle]
        assert all(venue.orders[p].side == "buy" for p in later)
        assert int(later[0].split("-")[2]) == int(cycle) + 1

        # Nothing was refused on the way: no activity failed.
        failed = [
            e
            async for e in handle.fetch_history_events()
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
        ]
        assert failed == []
        await handle.terminate()


async def test_a_ledger_conflict_is_final() -> None:
    with pytest.raises(ApplicationError) as raised:
        async with classified("ETH/USDT"):
            raise LedgerConflict("upsert_order: client_order_id 'x' is already recorded")
    assert raised.value.type == "LedgerConflict"
    assert raised.value.non_retryable
