"""An in-memory venue for workflow tests: the VenueGateway port with a settable book.

Orders that cross the book fill at once (walking the levels); resting orders wait until a
test fills them. The real matching engine is exercised by the paper venue's own tests and
the end-to-end tests; here the point is the workflow's logic under time skipping.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from rebalancer.domain.costs import walk
from rebalancer.domain.market import MarketRules, OrderBook, Quote
from rebalancer.venue.errors import DuplicateClientOrderId, InsufficientFunds, OrderNotFound
from rebalancer.venue.models import Balance, LimitOrder, VenueOrder, VenueTrade

FEE = Decimal("0.001")


class MemoryVenue:
    def __init__(
        self,
        rules: dict[str, MarketRules],
        books: dict[str, OrderBook],
        balances: dict[str, Decimal],
    ) -> None:
        self.rules = rules
        self.books = books
        self.free = dict(balances)
        self.locked: dict[str, Decimal] = {a: Decimal(0) for a in balances}
        self.orders: dict[str, VenueOrder] = {}
        self.fills: list[VenueTrade] = []
        self.placements: list[str] = []
        self._ids = itertools.count(1)

    # The port --------------------------------------------------------------------------

    @property
    def venue(self) -> str:
        return "paper"

    async def markets(self) -> dict[str, MarketRules]:
        return dict(self.rules)

    async def order_book(self, symbol: str, limit: int = 20, max_age: float = 0.0) -> OrderBook:
        book = self.books[symbol]
        return OrderBook(bids=book.bids[:limit], asks=book.asks[:limit])

    async def ticker(self, symbol: str) -> Quote:
        return self.books[symbol].quote()

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        return {symbol: self.books[symbol].quote() for symbol in symbols if symbol in self.books}

    async def balances(self) -> dict[str, Balance]:
        return {
            a: Balance(
                asset=a, free=self.free.get(a, Decimal(0)), locked=self.locked.get(a, Decimal(0))
            )
            for a in sorted(set(self.free) | set(self.locked))
        }

    async def place_limit_order(self, order: LimitOrder) -> VenueOrder:
        client_order_id = order.client_order_id
        existing = self.orders.get(client_order_id)
        if existing is not None and not existing.is_final:
            raise DuplicateClientOrderId(client_order_id)
        base, _, quote = order.symbol.partition("/")
        need_asset, need = (
            (quote, order.amount * order.price * (1 + FEE))
            if order.side == "buy"
            else (base, order.amount)
        )
        if self.free.get(need_asset, Decimal(0)) < need:
            raise InsufficientFunds(f"need {need} {need_asset}")
        self.free[need_asset] -= need
        self.locked[need_asset] = self.locked.get(need_asset, Decimal(0)) + need
        now = datetime.now(UTC)
        placed = VenueOrder(
            client_order_id=client_order_id,
            venue_order_id=str(next(self._ids)),
            symbol=order.symbol,
            side=order.side,
            amount=order.amount,
            price=order.price,
            status="open",
            filled=Decimal(0),
            created_at=now,
        )
        self.orders[client_order_id] = placed
        self.placements.append(client_order_id)
        self._cross(placed)
        return self.orders[client_order_id]

    async def fetch_order(self, symbol: str, client_order_id: str) -> VenueOrder | None:
        return self.orders.get(client_order_id)

    async def cancel_order(self, symbol: str, client_order_id: str) -> VenueOrder:
        order = self.orders.get(client_order_id)
        if order is None or order.is_final:
            raise OrderNotFound(client_order_id)
        self._unlock(order, order.amount - order.filled)
        self.orders[client_order_id] = order.model_copy(update={"status": "canceled"})
        return self.orders[client_order_id]

    async def open_orders(self, symbol: str | None = None) -> list[VenueOrder]:
        return [o for o in self.orders.values() if not o.is_final and symbol in (None, o.symbol)]

    async def trades(self, symbol: str, since: datetime | None = None) -> list[VenueTrade]:
        return [
            t
            for t in self.fills
            if t.symbol == symbol and (since is None or t.executed_at >= since)
        ]

    async def close(self) -> None:
        return None

    # Test controls ---------------------------------------------------------------------

    def fill(self, client_order_id: str, quantity: Decimal | None = None) -> None:
        order = self.orders[client_order_id]
        assert order.price is not None
        self._apply_fill(order, quantity or order.amount - order.filled, order.price, maker=True)

    def _cross(self, order: VenueOrder) -> None:
        assert order.price is not None
        limit = order.price
        levels = self.books[order.symbol].side_taken_by(order.side)
        crossing = tuple(
            lvl
            for lvl in levels
            if (lvl.price <= limit if order.side == "buy" else lvl.price >= limit)
        )
        for price, quantity in walk(crossing, order.amount):
            self._apply_fill(self.orders[order.client_order_id], quantity, price, maker=False)

    def _apply_fill(
        self, order: VenueOrder, quantity: Decimal, price: Decimal, maker: bool
    ) -> None:
        base, _, quote = order.symbol.partition("/")
        assert order.price is not None
        if order.side == "buy":
            reserved = quantity * order.price * (1 + FEE)
            self.locked[quote] -= reserved
            self.free[quote] += reserved - quantity * price * (1 + FEE)
            self.free[base] = self.free.get(base, Decimal(0)) + quantity
            fee, fee_asset = quantity * price * FEE, quote
        else:
            self.locked[base] -= quantity
            self.free[quote] = self.free.get(quote, Decimal(0)) + quantity * price * (1 - FEE)
            fee, fee_asset = quantity * price * FEE, quote
        filled = order.filled + quantity
        average = ((order.average or Decimal(0)) * order.filled + price * quantity) / filled
        status = "closed" if filled == order.amount else "open"
        self.orders[order.client_order_id] = order.model_copy(
            update={"filled": filled, "average": average, "status": status}
        )
        self.fills.append(
            VenueTrade(
                trade_id=f"t{len(self.fills) + 1}",
                **order.model_dump(include={"venue_order_id", "client_order_id", "symbol", "side"}),
                amount=quantity,
                price=price,
                fee=fee,
                fee_asset=fee_asset,
                taker_or_maker="maker" if maker else "taker",
                executed_at=datetime.now(UTC),
            )
        )

    def _unlock(self, order: VenueOrder, quantity: Decimal) -> None:
        base, _, quote = order.symbol.partition("/")
        assert order.price is not None
        if order.side == "buy":
            amount = quantity * order.price * (1 + FEE)
            self.locked[quote] -= amount
            self.free[quote] += amount
        else:
            self.locked[base] -= quantity
            self.free[base] += quantity
