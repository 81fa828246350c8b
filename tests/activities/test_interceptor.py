"""The worker's interceptor gives every step its log context and its errors' classification,
read from the request, so a step's own code holds neither."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import structlog
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput

from activities import StepContext
from rebalancer.pipeline.messages import AccountRef, PlaceRequest, ReconcileRequest
from rebalancer.venue.errors import InsufficientFunds, RateLimited
from tests.domain.strategies import planned_order

ACCOUNT = AccountRef(account_id="acct-1", venue="paper")
PLACE = PlaceRequest(
    account=ACCOUNT,
    cycle=7,
    client_order_id="rb-acct-1-7-BTC-0",
    order=planned_order("BTC", "buy", amount=Decimal("0.5")),
)


class _Step(ActivityInboundInterceptor):
    """Stands for the activity: records the log context it runs in, then does ``then``."""

    def __init__(self, then: Callable[[], Any] = lambda: None) -> None:
        self.seen: dict[str, Any] = {}
        self.then = then

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        self.seen = structlog.contextvars.get_contextvars()
        return self.then()


async def _call(step: _Step, request: object) -> Any:
    inbound = StepContext().intercept_activity(step)
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(
        environment.info, workflow_id="account-acct-1", activity_type="place_limit_order"
    )

    async def activity() -> Any:
        return await inbound.execute_activity(
            ExecuteActivityInput(fn=activity, args=[request], executor=None, headers={})
        )

    return await environment.run(activity)


async def test_the_call_runs_with_what_its_request_is_about() -> None:
    step = _Step()
    await _call(step, PLACE)
    assert step.seen == {
        "account": "acct-1",
        "venue": "paper",
        "workflow_id": "account-acct-1",
        "activity": "place_limit_order",
        "attempt": 1,
        "cycle": 7,
        "client_order_id": "rb-acct-1-7-BTC-0",
        "symbol": "BTC/USDT",
    }
    assert structlog.contextvars.get_contextvars() == {}


async def test_fields_the_request_has_not_are_left_out() -> None:
    step = _Step()
    await _call(step, ReconcileRequest(account=ACCOUNT, cycle=3, symbols=()))
    assert step.seen["cycle"] == 3
    assert "client_order_id" not in step.seen
    assert "symbol" not in step.seen


async def test_a_final_venue_error_stops_retries() -> None:
    def refuse() -> None:
        raise InsufficientFunds("not enough USDT")

    with pytest.raises(ApplicationError) as raised:
        await _call(_Step(refuse), PLACE)
    assert raised.value.type == "InsufficientFunds"
    assert raised.value.non_retryable


async def test_a_retryable_error_carries_the_venues_hint() -> None:
    def throttle() -> None:
        raise RateLimited("slow down", retry_after=2.0)

    with pytest.raises(ApplicationError) as raised:
        await _call(_Step(throttle), PLACE)
    assert not raised.value.non_retryable
    assert raised.value.next_retry_delay is not None
    assert raised.value.next_retry_delay.total_seconds() == 2.0
