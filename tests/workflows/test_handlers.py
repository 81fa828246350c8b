"""Signals, updates and queries: pause, resume, force, validated targets and policy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from rebalancer.pipeline.messages import (
    AccountConfig,
    AccountStatus,
    ForceRequest,
    PolicyUpdate,
    TargetsUpdate,
)
from tests.workflows.memory_venue import MemoryVenue
from tests.workflows.scenario import Harness, half_btc, memory_venue, recorded_account
from tests.workflows.test_timers import eventually
from workflows import AccountWorkflow


def balanced_venue() -> MemoryVenue:
    # 0.78125 BTC at 64,000 is 50,000: exactly on a 50/50 target.
    return memory_venue(USDT="50000", BTC="0.78125")


def config(account_id: str) -> AccountConfig:
    return half_btc(account_id, check_interval_seconds=3600)


@asynccontextmanager
async def after_first_cycle(
    env: WorkflowEnvironment, account_id: str, history: str
) -> AsyncIterator[tuple[Harness, WorkflowHandle[AccountWorkflow, None], AccountStatus]]:
    """An account on a balanced venue once its first cycle is done; at the end, terminated
    and its history recorded as `history`."""
    started = recorded_account(env.client, balanced_venue(), config(account_id), history)
    async with started as (h, handle):
        first = await eventually(lambda: h.status(handle), lambda s: s.cycle >= 1)
        yield h, handle, first


async def test_pause_resume_and_force(time_skipping_env: WorkflowEnvironment) -> None:
    started = after_first_cycle(time_skipping_env, "handlers-1", "pause-resume-force")
    async with started as (h, handle, first):
        assert first.state == "idle"
        assert first.last_cycle is not None
        assert first.last_cycle.verdicts["BTC"] == "skip"

        await handle.signal(AccountWorkflow.pause)
        paused = await eventually(lambda: h.status(handle), lambda s: s.paused)
        assert paused.state == "paused"
        await handle.signal(AccountWorkflow.force, ForceRequest(reason="test"))
        still = await h.status(handle)
        assert still.cycle == first.cycle, "a paused account does not trade, even when forced"

        await handle.signal(AccountWorkflow.resume)
        await handle.signal(AccountWorkflow.force, ForceRequest(reason="test"))
        forced = await eventually(
            lambda: h.status(handle),
            lambda s: s.last_cycle is not None and s.last_cycle.trigger == "force",
        )
        assert not forced.paused
        assert forced.cycle > first.cycle
        assert h.venue.placements == []


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({"BTC": "0.6", "USDT": "0.3"}, "sum to exactly 1"),
        ({"BTC": "1.0"}, "quote currency"),
        ({"BTC": "-0.5", "USDT": "1.5"}, "greater than or equal to 0"),
        ({"btc": "0.5", "USDT": "0.5"}, "upper-case"),
        ({"BTC": "NaN", "USDT": "0.5"}, "finite"),
    ],
)
async def test_bad_targets_are_rejected_and_change_nothing(
    time_skipping_env: WorkflowEnvironment, targets: dict[str, str], message: str
) -> None:
    async with after_first_cycle(
        time_skipping_env, f"bad-targets-{abs(hash(message)) % 10_000}", "rejected-targets"
    ) as (h, handle, before):
        with pytest.raises(WorkflowUpdateFailedError) as failure:
            # Sent as plain JSON, as a client without our models would.
            await handle.execute_update("set_targets", {"targets": targets})
        assert message in str(failure.value.cause)
        after = await h.status(handle)
        assert after.targets == before.targets
        assert after.cycle == before.cycle


async def test_new_targets_trade_at_once(time_skipping_env: WorkflowEnvironment) -> None:
    async with after_first_cycle(time_skipping_env, "targets-1", "new-targets") as (h, handle, _):
        status = await handle.execute_update(
            AccountWorkflow.set_targets,
            TargetsUpdate(targets={"BTC": "0.25", "USDT": "0.75"}),
        )
        assert status.targets == {"BTC": Decimal("0.25"), "USDT": Decimal("0.75")}
        # The change is an instruction until the account has traded to it.
        assert "BTC" in status.instructed
        traded = await eventually(
            lambda: h.status(handle),
            lambda s: s.totals.get("orders_filled", 0) >= 1 and "BTC" not in s.instructed,
        )
        assert traded.last_cycle is not None
        assert traded.last_cycle.verdicts["BTC"] == "execute"
        assert h.venue.free["BTC"] < Decimal("0.4")


async def test_policy_update_validated(time_skipping_env: WorkflowEnvironment) -> None:
    async with after_first_cycle(time_skipping_env, "policy-1", "policy-update") as (h, handle, _):
        updated = await handle.execute_update(
            AccountWorkflow.set_policy,
            PolicyUpdate(policy={"band": "0.05", "check_interval_seconds": 120}),
        )
        assert updated.policy.band == Decimal("0.05")
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                "set_policy", {"policy": {"sizing": "band_edge", "band": "0"}}
            )
        assert (await h.status(handle)).policy.band == Decimal("0.05")
