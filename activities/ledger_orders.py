"""Ledger rows for venue orders: one conversion, used by every activity that sees an order."""

from __future__ import annotations

from datetime import UTC, datetime

from rebalancer.ledger.records import OrderRecord
from rebalancer.pipeline.messages import AccountRef
from rebalancer.venue.models import VenueOrder


def order_record(
    account: AccountRef, cycle: int, order: VenueOrder, created_at: datetime | None = None
) -> OrderRecord:
    now = datetime.now(UTC)
    return OrderRecord(
        client_order_id=order.client_order_id,
        account_id=account.account_id,
        cycle=cycle,
        venue=account.venue,
        venue_order_id=order.venue_order_id,
        symbol=order.symbol,
        side=order.side,
        quantity=order.amount,
        limit_price=order.price if order.price is not None else order.average or order.amount,
        status=order.status,
        filled_quantity=order.filled,
        average_price=order.average,
        created_at=created_at or order.created_at,
        updated_at=now,
    )
