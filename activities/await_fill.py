"""await-fill: poll one order until it is final or its time is up, heartbeating.

The deadline travels in the heartbeat details, so a retry after a worker crash resumes the
same wait instead of starting a new one. Polls back off (50 ms doubling to 1 s) to spare the
venue's request weight.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio import activity

from activities.deps import Step
from activities.ledger_orders import order_record
from rebalancer.pipeline.messages import AwaitFillRequest
from rebalancer.runtime import telemetry
from rebalancer.venue.errors import OrderNotFound
from rebalancer.venue.models import VenueOrder

MAX_POLL_SECONDS = 1.0


class AwaitFill(Step):
    @activity.defn(name="await_fill")
    async def run(self, request: AwaitFillRequest) -> VenueOrder:
        gateway = await self.deps.gateway(request.account)
        deadline = _deadline(request)
        poll = request.poll_milliseconds / 1000
        seen_fill = _seen_fill()
        while True:
            order = await gateway.fetch_order(request.symbol, request.client_order_id)
            if order is None:
                raise OrderNotFound(f"order {request.client_order_id} is not known to the venue")
            now = datetime.now(UTC)
            if order.filled > 0 and not seen_fill:
                seen_fill = True
                since_detect = telemetry.elapsed_since(request.detect_started_at, now)
                if since_detect is not None:
                    telemetry.first_fill(request.account.venue, since_detect)
            if activity.in_activity():
                activity.heartbeat(deadline.isoformat(), str(order.filled))
            if order.is_final or now >= deadline:
                if order.is_final:
                    telemetry.order_outcome(
                        request.account.venue, order.symbol, order.amount, order.filled
                    )
                await self.deps.ledger.upsert_order(
                    order_record(request.account, request.cycle, order)
                )
                return order
            await asyncio.sleep(poll)
            poll = min(poll * 2, MAX_POLL_SECONDS)


def _seen_fill() -> bool:
    """A fill already seen before a retry (the heartbeat says so) is not a first fill."""
    if activity.in_activity():
        details = activity.info().heartbeat_details
        return len(details) > 1 and str(details[1]) not in ("0", "")
    return False


def _deadline(request: AwaitFillRequest) -> datetime:
    if activity.in_activity():
        details = activity.info().heartbeat_details
        if details:
            return datetime.fromisoformat(str(details[0]))
    return datetime.now(UTC) + timedelta(seconds=request.timeout_seconds)
