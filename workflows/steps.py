"""The account workflow's activities, called by name with their timeouts and retry rules.

What is final is the activity's to say: it raises ``ApplicationError(non_retryable=True)``
for final venue errors (insufficient funds, invalid order, authentication), bad input and
ledger conflicts (activities/errors.py), and the workflow reads that flag, never a list of
names. Everything else retries with backoff, without an attempt cap for orders, because a
cycle must not lose track of one; the venue's Retry-After hint arrives as the activity
error's next retry delay. Reads and the cycle record run as local activities: in the
worker, with no server round trip to schedule, dispatch and complete them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from rebalancer.cycle.port import Observation
    from rebalancer.pipeline import activity_names as names
    from rebalancer.pipeline.messages import (
        AssessRequest,
        AssessResult,
        AwaitFillRequest,
        CancelRequest,
        CycleRecord,
        DetectRequest,
        PlaceRequest,
        ReconcileRequest,
        ReconcileResult,
        RegisterRequest,
    )
    from rebalancer.venue.models import VenueOrder

Result = TypeVar("Result")

READ_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=10,
)
# Side effects on orders retry without limit: giving up would leave an order unaccounted.
ORDER_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=250),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)


# Registration gives up soon: an operator waits on `account add`, and a venue that is down
# or a missing key is reported to them (the account then retries on its own timer).
REGISTER_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=4),
    maximum_attempts=5,
)


async def register(request: RegisterRequest) -> None:
    await workflow.execute_activity(
        names.REGISTER,
        request,
        start_to_close_timeout=timedelta(seconds=20),
        retry_policy=REGISTER_RETRY,
        summary=f"register {request.config.account_id} on {request.config.venue}",
    )


async def reconcile(request: ReconcileRequest) -> ReconcileResult:
    result: ReconcileResult = await workflow.execute_activity(
        names.RECONCILE,
        request,
        result_type=ReconcileResult,
        start_to_close_timeout=timedelta(seconds=20),
        retry_policy=ORDER_RETRY,
        summary=f"reconcile cycle {request.cycle}: {', '.join(request.symbols) or 'all'}",
    )
    return result


async def detect_drift(request: DetectRequest) -> Observation:
    summary = f"detect drift, cycle {request.cycle}"
    return await _read(names.DETECT_DRIFT, request, Observation, 15, summary)


async def assess_liquidity(request: AssessRequest) -> AssessResult:
    leg = request.leg
    summary = f"assess {leg.side} {leg.quantity} {leg.asset}"
    return await _read(names.ASSESS_LIQUIDITY, request, AssessResult, 10, summary)


async def _read(
    name: str, request: object, result_type: type[Result], timeout_seconds: int, summary: str
) -> Result:
    result: Result = await workflow.execute_local_activity(
        name,
        request,
        result_type=result_type,
        start_to_close_timeout=timedelta(seconds=timeout_seconds),
        retry_policy=READ_RETRY,
        summary=summary,
    )
    return result


async def place_limit_order(request: PlaceRequest) -> VenueOrder:
    order = request.order
    result: VenueOrder = await workflow.execute_activity(
        names.PLACE_LIMIT_ORDER,
        request,
        result_type=VenueOrder,
        start_to_close_timeout=timedelta(seconds=15),
        retry_policy=ORDER_RETRY,
        summary=(
            f"{order.side} {order.amount} {order.symbol} @ {order.price} "
            f"({order.style}) id {request.client_order_id}"
        ),
    )
    return result


async def await_fill(request: AwaitFillRequest) -> VenueOrder:
    timeout = timedelta(seconds=request.timeout_seconds)
    result: VenueOrder = await workflow.execute_activity(
        names.AWAIT_FILL,
        request,
        result_type=VenueOrder,
        start_to_close_timeout=timeout + timedelta(seconds=30),
        heartbeat_timeout=timedelta(seconds=10),
        retry_policy=ORDER_RETRY,
        summary=f"await fill {request.client_order_id} (up to {request.timeout_seconds}s)",
    )
    return result


async def cancel_order(request: CancelRequest) -> VenueOrder:
    result: VenueOrder = await workflow.execute_activity(
        names.CANCEL_ORDER,
        request,
        result_type=VenueOrder,
        start_to_close_timeout=timedelta(seconds=15),
        retry_policy=ORDER_RETRY,
        summary=f"cancel {request.client_order_id}",
    )
    return result


async def record_cycle(record: CycleRecord) -> None:
    # One idempotent ledger write: run it in the worker, like the reads.
    await workflow.execute_local_activity(
        names.RECORD_CYCLE,
        record,
        start_to_close_timeout=timedelta(seconds=15),
        retry_policy=ORDER_RETRY,
        summary=f"record cycle {record.summary.cycle} ({record.summary.status})",
    )
