"""A watched account: the fleet watcher's wake runs a cycle at once, every cycle leaves the
watcher its no-trade region, and the account's own timer is only the slow safety check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from temporalio.testing import WorkflowEnvironment

from rebalancer.pipeline.messages import WakeRequest
from tests.workflows.scenario import half_btc, memory_venue, recorded_account
from tests.workflows.test_timers import eventually
from workflows import AccountWorkflow


async def test_a_wake_runs_a_watch_cycle_and_the_region_reaches_the_ledger(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    # 0.78125 BTC at 64,000 is 50,000: on target, nothing to trade.
    venue = memory_venue(USDT="50000", BTC="0.78125")
    config = half_btc("wake-1", band="0.02")
    assert config.watched
    started = recorded_account(time_skipping_env.client, venue, config, "watch-wake")
    async with started as (h, handle):
        first = await eventually(lambda: h.status(handle), lambda s: s.cycle >= 1)
        assert first.last_cycle is not None
        assert first.next_check_at is not None
        # The safety check: two days, plus the account's spread within them.
        gap = first.next_check_at - first.last_cycle.started_at
        assert timedelta(days=2) <= gap < timedelta(days=4)
        region = h.ledger.regions["wake-1"]
        assert region.bands == {"BTC": Decimal("0.02")}
        assert region.targets == {"BTC": Decimal("0.5"), "USDT": Decimal("0.5")}
        assert region.sizing == "target"

        await handle.signal(AccountWorkflow.wake, WakeRequest(seen_at=datetime.now(UTC)))
        woken = await eventually(lambda: h.status(handle), lambda s: s.cycle >= 2)
        assert woken.last_cycle is not None
        assert woken.last_cycle.trigger == "watch"
        assert h.ledger.cycle_starts[("wake-1", 2)].trigger == "watch"


async def test_a_paused_account_ignores_the_watcher(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    venue = memory_venue(USDT="50000", BTC="0.78125")
    started = recorded_account(time_skipping_env.client, venue, half_btc("wake-2"), "watch-paused")
    async with started as (h, handle):
        await eventually(lambda: h.status(handle), lambda s: s.cycle >= 1)
        await handle.signal(AccountWorkflow.pause)
        await eventually(lambda: h.status(handle), lambda s: s.paused)
        await handle.signal(AccountWorkflow.wake, WakeRequest(seen_at=datetime.now(UTC)))
        await handle.signal(AccountWorkflow.resume)
        resumed = await eventually(lambda: h.status(handle), lambda s: not s.paused)
        assert resumed.cycle == 1, "a wake seen while paused is dropped, not replayed later"


async def test_an_unwatched_account_checks_on_its_policy_interval(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    venue = memory_venue(USDT="50000", BTC="0.78125")
    config = half_btc("wake-3", check_interval_seconds=600).model_copy(update={"watched": False})
    started = recorded_account(time_skipping_env.client, venue, config, "unwatched")
    async with started as (h, handle):
        first = await eventually(lambda: h.status(handle), lambda s: s.cycle >= 1)
        assert first.last_cycle is not None
        assert first.next_check_at is not None
        assert first.next_check_at - first.last_cycle.started_at < timedelta(seconds=1200)
        assert "wake-3" not in h.ledger.regions
