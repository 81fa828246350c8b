"""The port activities use to reach a venue. The ccxt adapter implements it.

Every method is safe to call twice: placement is keyed by the client order id, and the
adapter looks the id up before placing again after an ambiguous failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from rebalancer.domain.market import MarketRules, OrderBook, Quote
from rebalancer.venue.models import Balance, LimitOrder, VenueOrder, VenueTrade


class VenueGateway(Protocol):
    @property
    def venue(self) -> str: ...

    async def markets(self) -> dict[str, MarketRules]: ...

    async def order_book(self, symbol: str, limit: int = 20, max_age: float = 0.0) -> OrderBook:
        """The L2 book; a book up to ``max_age`` seconds old may be served from a cache."""

    async def ticker(self, symbol: str) -> Quote: ...

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Best bid and ask of many symbols in one request (those the venue quotes)."""
        ...

    async def balances(self) -> dict[str, Balance]: ...

    async def place_limit_order(self, order: LimitOrder) -> VenueOrder: ...

    async def fetch_order(self, symbol: str, client_order_id: str) -> VenueOrder | None: ...

    async def cancel_order(self, symbol: str, client_order_id: str) -> VenueOrder: ...

    async def open_orders(self, symbol: str | None = None) -> list[VenueOrder]: ...

    async def trades(self, symbol: str, since: datetime | None = None) -> list[VenueTrade]: ...

    async def close(self) -> None: ...
