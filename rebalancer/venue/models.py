"""A limit order to place, and what a venue reports, parsed into exact domain types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime

from rebalancer.domain.market import Frozen, Side
from rebalancer.domain.numbers import Dec, NonNegDec, PosDec

# ccxt's unified order statuses.
OrderStatus = Literal["open", "closed", "canceled", "rejected", "expired"]
FINAL_STATUSES: frozenset[str] = frozenset({"closed", "canceled", "rejected", "expired"})


class Balance(Frozen):
    asset: str
    free: NonNegDec
    locked: NonNegDec

    @property
    def total(self) -> Dec:
        return self.free + self.locked


@dataclass(frozen=True)
class LimitOrder:
    """A limit order to place: what ``VenueGateway.place_limit_order`` is asked for. Plain
    data, not validated: the venue judges an order (the cycle's are checked when planned)."""

    symbol: str
    side: Side
    amount: Decimal
    price: Decimal
    client_order_id: str
    # Maker only: the venue refuses the order rather than fill it at once against the book.
    post_only: bool = field(default=False, kw_only=True)


class VenueOrder(Frozen):
    client_order_id: str
    venue_order_id: str
    symbol: str
    side: Side
    amount: PosDec
    price: PosDec | None
    status: OrderStatus
    filled: NonNegDec
    # Volume-weighted fill price; None until something fills.
    average: PosDec | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class VenueTrade(Frozen):
    trade_id: str
    venue_order_id: str
    client_order_id: str | None = None
    symbol: str
    side: Side
    amount: PosDec
    price: PosDec
    # Negative for a maker rebate, as the venue reports it.
    fee: Dec
    fee_asset: str
    taker_or_maker: Literal["taker", "maker"] | None = None
    executed_at: AwareDatetime


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every time in this project is UTC-aware")
    return moment
