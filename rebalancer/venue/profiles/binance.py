"""Binance spot (api/v3). Also the paper venue's dialect.

- Client id: ``newClientOrderId``, 1-36 of ``[.A-Z:/a-z0-9_-]``; our canonical id fits.
  Binance refuses a second order with the id of an *open* one ("Duplicate order sent."),
  and accepts the id again once the first is closed, so the gateway looks up before any
  re-placement.
- Lookup: native (``GET /api/v3/order?origClientOrderId=``).
- Limits: read from ``exchangeInfo.rateLimits`` at start; the defaults below are what it
  declared in 2024 (6,000 weight a minute per IP, 100 orders per 10 s per account).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rebalancer.venue import binance_weights as weights
from rebalancer.venue.profiles.profile import ClientIdRule, Request, RequestCosts, VenueProfile
from rebalancer.venue.rate_limit import VenueLimits


@dataclass(frozen=True)
class BinanceProfile(VenueProfile):
    def book(self, symbol: str, limit: int) -> Request:
        depth = self.book_limit(limit)
        return Request("fetch_order_book", (symbol, depth), weights.depth_weight(depth))

    def quotes(self, symbols: Sequence[str]) -> Request:
        # bookTicker without a symbol: every symbol's best bid and ask for one weight of 4.
        return Request("fetch_bids_asks", (), self.costs.quotes)

    def trades(self, symbol: str, since_ms: int | None) -> Request:
        return Request("fetch_my_trades", (symbol, since_ms, self.trades_page), self.costs.trades)

    def next_trades(
        self, symbol: str, since_ms: int | None, page: Sequence[Mapping[str, Any]]
    ) -> Request | None:
        # Trade ids are sequential per symbol: page by id, never by time.
        if len(page) < self.trades_page:
            return None
        next_id = max(int(t["id"]) for t in page) + 1
        return Request(
            "fetch_my_trades",
            (symbol, None, self.trades_page, {"fromId": next_id}),
            self.costs.trades,
        )


PROFILE = BinanceProfile(
    exchange_id="binance",
    title="Binance spot",
    client_ids=ClientIdRule(max_length=36, pattern=re.compile(r"[.A-Z:/a-z0-9_-]{1,36}")),
    lookup="native",
    limits=VenueLimits(weight=6000, weight_window=60.0, orders=100, order_window=10.0),
    costs=RequestCosts(
        markets=weights.EXCHANGE_INFO,
        ticker=weights.TICKER_24HR,
        quotes=weights.BOOK_TICKER_ALL,
        balance=weights.ACCOUNT,
        place=weights.ORDER_POST,
        get_order=weights.ORDER_GET,
        cancel=weights.ORDER_DELETE,
        open_orders=weights.open_orders_weight(True),
        closed_orders=weights.ALL_ORDERS,
        trades=weights.MY_TRADES,
        book=weights.depth_weight(100),
    ),
    book_depths=weights.BOOK_LIMITS,
    duplicate_markers=("Duplicate order sent",),
    cancel_reports_order=True,
    trades_page=1000,
    ccxt_options={
        "defaultType": "spot",
        # Spot only: no margin, futures or sapi calls, ever.
        "fetchMarkets": {"types": ["spot"]},
        "fetchMargins": False,
        "fetchCurrencies": False,
        "fetchOpenOrders": {"warnWithoutSymbol": False},
    },
    sources=(
        "https://developers.binance.com/docs/binance-spot-api-docs/rest-api/trading-endpoints",
        "https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits",
    ),
)
