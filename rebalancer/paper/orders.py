"""Orders, fills and rejections inside the paper venue.

``PaperOrder`` is mutable: the matching engine fills it in place. Statuses follow Binance's
life cycle in lower case: new -> partially_filled -> filled, or canceled / expired.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from rebalancer.domain.market import Side

OrderType = Literal["limit", "limit_maker", "market"]
TimeInForce = Literal["GTC", "IOC", "FOK"]
OrderStatus = Literal["new", "partially_filled", "filled", "canceled", "expired"]
Liquidity = Literal["maker", "taker"]
OPEN_STATUSES: frozenset[str] = frozenset({"new", "partially_filled"})

CLIENT_ORDER_ID = re.compile(r"^[a-zA-Z0-9\-_]{1,36}$")

RejectReason = Literal[
    "unknown_symbol",
    "invalid_parameter",
    "illegal_characters",
    "price_filter",
    "lot_size",
    "notional",
    "insufficient_balance",
    "duplicate_order",
    "would_take",
    "unknown_order",
    "no_liquidity",
]


class OrderRejected(Exception):
    """The venue refused a request; ``reason`` says which rule, ``message`` says it to a user."""

    def __init__(self, reason: RejectReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class OrderRequest:
    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal | None = None
    price: Decimal | None = None
    # Market orders only: spend (buy) or receive (sell) this much quote instead of a quantity.
    quote_quantity: Decimal | None = None
    client_order_id: str | None = None
    time_in_force: TimeInForce = "GTC"


@dataclass(frozen=True)
class Fill:
    trade_id: int
    order_id: int
    client_order_id: str
    account_id: str
    symbol: str
    side: Side
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_asset: str
    liquidity: Liquidity
    executed_at: datetime

    @property
    def quote_quantity(self) -> Decimal:
        return self.price * self.quantity


@dataclass(eq=False)
class PaperOrder:
    order_id: int
    client_order_id: str
    account_id: str
    symbol: str
    side: Side
    type: OrderType
    time_in_force: TimeInForce
    price: Decimal | None
    quantity: Decimal
    created_at: datetime
    maker_fee: Decimal
    taker_fee: Decimal
    quote_quantity: Decimal | None = None
    status: OrderStatus = "new"
    executed_quantity: Decimal = Decimal(0)
    cumulative_quote: Decimal = Decimal(0)
    updated_at: datetime | None = None
    # Quantity displayed ahead of this order at its price (queue position), while resting.
    queue_ahead: Decimal = Decimal(0)
    # Funds still locked for this order, in ``locked_asset``.
    locked: Decimal = Decimal(0)
    locked_asset: str = ""
    fills: list[Fill] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.executed_quantity

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def average_price(self) -> Decimal | None:
        if self.executed_quantity == 0:
            return None
        return self.cumulative_quote / self.executed_quantity

    def record(self, fill: Fill) -> None:
        self.fills.append(fill)
        self.executed_quantity += fill.quantity
        self.cumulative_quote += fill.quote_quantity
        self.updated_at = fill.executed_at
        self.status = "filled" if self.remaining <= 0 else "partially_filled"
