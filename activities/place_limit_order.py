"""place-limit-order: exactly once, keyed by the deterministic client order id.

The ledger row is written 'pending' before the venue call, so a crash between the venue
accepting and us recording leaves a row that reconciliation resolves. On any retry the venue
is asked for the id first: a lost response must not become a second order.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from temporalio import activity

from activities.deps import Step
from activities.ledger_orders import order_record
from rebalancer.ledger.records import OrderRecord
from rebalancer.pipeline.messages import PlaceRequest
from rebalancer.runtime import telemetry
from rebalancer.venue.models import LimitOrder, VenueOrder

log = structlog.get_logger("rebalancer.activities.place")


class PlaceLimitOrder(Step):
    @activity.defn(name="place_limit_order")
    async def run(self, request: PlaceRequest) -> VenueOrder:
        order = request.order
        account = request.account
        now = datetime.now(UTC)
        stored = await self.deps.ledger.upsert_order(
            OrderRecord(
                client_order_id=request.client_order_id,
                account_id=account.account_id,
                cycle=request.cycle,
                venue=account.venue,
                symbol=order.symbol,
                side=order.side,
                quantity=order.amount,
                limit_price=order.price,
                status="pending",
                created_at=now,
                updated_at=now,
            )
        )
        gateway = await self.deps.gateway(account)
        retried = activity.in_activity() and activity.info().attempt > 1
        if retried or stored.venue_order_id is not None or stored.status != "pending":
            existing = await gateway.fetch_order(order.symbol, request.client_order_id)
            if existing is not None:
                await self.deps.ledger.upsert_order(
                    order_record(account, request.cycle, existing, stored.created_at)
                )
                return existing
        placed = await gateway.place_limit_order(
            LimitOrder(order.symbol, order.side, order.amount, order.price, request.client_order_id)
        )
        acknowledged = datetime.now(UTC)
        since_detect = telemetry.elapsed_since(request.detect_started_at, acknowledged)
        telemetry.order_acknowledged(account.venue, order.symbol, since_detect)
        if placed.filled > 0 and since_detect is not None:
            telemetry.first_fill(account.venue, since_detect)
        if placed.is_final:
            # Done at once (a marketable order that filled): the cycle waits for no fill, so
            # its outcome is counted here rather than by await-fill or cancel.
            telemetry.order_outcome(account.venue, order.symbol, placed.amount, placed.filled)
        log.info(
            "order acknowledged",
            symbol=order.symbol,
            side=order.side,
            amount=str(order.amount),
            price=str(order.price),
            status=placed.status,
            filled=str(placed.filled),
            since_detect_ms=since_detect.total_seconds() * 1000 if since_detect else None,
        )
        await self.deps.ledger.upsert_order(
            order_record(account, request.cycle, placed, stored.created_at)
        )
        return placed
