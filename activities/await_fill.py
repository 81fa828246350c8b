"""await-fill: poll one order until it is final or its time is up, heartbeating.

The deadline travels in the heartbeat details, so a retry after a worker crash resumes the
same wait instead of starting a new one. Polls back off (50 ms doubling to 1 s) to spare the
venue's request weight.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio import activity

from activities.deps import Deps
from activities.ledger_orders import order_record
from rebalancer.pipeline.messages import AwaitFillRequest
from rebalancer.venue.errors import OrderNotFound
from rebalancer.venue.models import VenueOrder

MAX_POLL_SECONDS = 1.0


async def await_fill(deps: Deps, request: AwaitFillRequest) -> VenueOrder:
    gateway = await deps.gateway(request.account)
    deadline = _deadline(request)
    poll = request.poll_milliseconds / 1000
    while True:
        order = await gateway.fetch_order(request.symbol, request.client_order_id)
        if order is None:
            raise OrderNotFound(f"order {request.client_order_id} is not known to the venue")
        if activity.in_activity():
            activity.heartbeat(deadline.isoformat(), str(order.filled))
        if order.is_final or datetime.now(UTC) >= deadline:
            await deps.ledger.upsert_order(order_record(request.account, request.cycle, order))
            return order
        await asyncio.sleep(poll)
        poll = min(poll * 2, MAX_POLL_SECONDS)


def _deadline(request: AwaitFillRequest) -> datetime:
    if activity.in_activity():
        details = activity.info().heartbeat_details
        if details:
            return datetime.fromisoformat(str(details[0]))
    return datetime.now(UTC) + timedelta(seconds=request.timeout_seconds)
