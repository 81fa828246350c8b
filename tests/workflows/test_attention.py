"""A fixable problem never ends an account's workflow: it shows `needs_attention` with the
cause, retries on a durable timer, and resumes by itself once the cause is fixed."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import Deps, StepContext, account_activities
from rebalancer.pipeline.messages import (
    AccountConfig,
    AccountStatus,
    ForceRequest,
    TargetsUpdate,
)
from rebalancer.pipeline.names import workflow_id
from rebalancer.pipeline.state import AccountWorkflowInput
from rebalancer.runtime.sandbox import workflow_runner
from rebalancer.venue.credentials import MissingCredentials
from rebalancer.venue.errors import AuthenticationFailed
from rebalancer.venue.gateway import VenueGateway
from rebalancer.venue.pool import GatewayPool
from tests.workflows.memory_ledger import MemoryLedger
from tests.workflows.memory_venue import MemoryVenue
from tests.workflows.scenario import half_btc, marketable_policy, memory_venue
from tests.workflows.test_timers import eventually
from workflows import WORKFLOWS, AccountWorkflow


class Keys:
    """The credentials an operator has (or has not yet) provided."""

    def __init__(self, venue: MemoryVenue, *, present: bool = False) -> None:
        self.venue = venue
        self.present = present

    def gateway(self, account_id: str, venue: str) -> VenueGateway:
        if not self.present:
            raise MissingCredentials("credentials", f"no credentials for account {account_id!r}")
        return self.venue


def _venue() -> MemoryVenue:
    return memory_venue(USDT="100000", BTC="0", ETH="0")


async def _start(env: WorkflowEnvironment, keys: Keys, config: AccountConfig):  # type: ignore[no-untyped-def]
    task_queue = f"attention-{uuid.uuid4()}"
    worker = Worker(
        env.client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=account_activities(Deps(MemoryLedger(), GatewayPool(keys.gateway))),
        interceptors=[StepContext()],
        workflow_runner=workflow_runner(),
    )
    handle = await env.client.start_workflow(
        AccountWorkflow.run,
        AccountWorkflowInput(config=config),
        id=workflow_id(config.account_id),
        task_queue=task_queue,
    )
    return worker, handle


async def _filled(handle: WorkflowHandle[AccountWorkflow, None]) -> AccountStatus:
    """The account's status once an order of it has filled."""
    return await eventually(
        lambda: handle.query(AccountWorkflow.status),
        lambda s: s.totals.get("orders_filled", 0) >= 1,
    )


async def test_missing_credentials_need_attention_then_the_account_resumes(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    venue = _venue()
    keys = Keys(venue)
    config = half_btc("attention-1")
    worker, handle = await _start(time_skipping_env, keys, config)
    async with worker:
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await handle.execute_update(AccountWorkflow.await_registration)
        assert "no credentials for account 'attention-1'" in str(failed.value.cause)
        status = await handle.query(AccountWorkflow.status)
        assert status.state == "needs_attention"
        assert status.attention is not None
        assert "no credentials" in status.attention

        keys.present = True  # the operator adds the keys; the timer retries on its own
        await time_skipping_env.sleep(timedelta(seconds=61))
        traded = await _filled(handle)
        assert traded.attention is None
        assert traded.state != "needs_attention"
        assert venue.free["BTC"] > 0
        await handle.terminate()


async def test_an_unknown_market_needs_attention_until_the_targets_are_fixed(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    keys = Keys(_venue(), present=True)
    config = AccountConfig(
        account_id="attention-2",
        venue="paper",
        targets={"XRP": Decimal("0.5"), "USDT": Decimal("0.5")},
        policy=marketable_policy(),
    )
    worker, handle = await _start(time_skipping_env, keys, config)
    async with worker:
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await handle.execute_update(AccountWorkflow.await_registration)
        assert "paper has no market XRP/USDT" in str(failed.value.cause)
        await handle.execute_update(
            AccountWorkflow.set_targets, TargetsUpdate(targets={"BTC": "0.5", "USDT": "0.5"})
        )
        traded = await _filled(handle)
        assert traded.attention is None
        await handle.terminate()


async def test_a_cycle_that_fails_needs_attention_and_retries_on_a_timer(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    venue = _venue()
    keys = Keys(venue, present=True)
    revoked = {"now": False}
    original = venue.balances

    async def balances():  # type: ignore[no-untyped-def]
        if revoked["now"]:
            raise AuthenticationFailed("API key revoked")
        return await original()

    venue.balances = balances  # type: ignore[method-assign]
    config = half_btc("attention-3", check_interval_seconds=3600)
    worker, handle = await _start(time_skipping_env, keys, config)
    async with worker:
        await handle.execute_update(AccountWorkflow.await_registration)
        revoked["now"] = True
        await handle.signal(AccountWorkflow.force, ForceRequest(reason="test"))
        held = await eventually(
            lambda: handle.query(AccountWorkflow.status),
            lambda s: s.state == "needs_attention",
        )
        assert held.attention is not None
        assert "API key revoked" in held.attention
        # Retried well before the hourly check: on the attention backoff.
        assert held.next_check_at is not None
        assert held.last_cycle is not None
        assert held.next_check_at - held.last_cycle.started_at < timedelta(minutes=5)
        revoked["now"] = False
        await time_skipping_env.sleep(timedelta(seconds=61))
        healed = await eventually(
            lambda: handle.query(AccountWorkflow.status), lambda s: s.attention is None
        )
        assert healed.state != "needs_attention"
        await handle.terminate()
