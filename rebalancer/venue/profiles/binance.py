"""Binance spot (api/v3). Also the paper venue's dialect.

- Client id: ``newClientOrderId``, at most 36 of ``[A-Za-z0-9_-]`` on spot (the
  ``[.A-Z:/a-z0-9_-]`` rule is futures'); our canonical id fits and is sent unchanged, any
  other id is mapped to ``rb`` + 34 hex. Binance refuses a second order whose id is that of an
  *open* one (-2010 "Duplicate order sent.") and accepts the id again once the first is
  closed, so the gateway looks up before any re-placement.
- Lookup: native, open and closed orders alike (``GET /api/v3/order?origClientOrderId=``;
  -2013 "Order does not exist." when there is none). Cancel by client id
  (``DELETE /api/v3/order?origClientOrderId=``), answered with the order (status, filled).
- Limits: read from ``exchangeInfo.rateLimits`` at start; the defaults below are what it
  declares (6,000 weight a minute per IP, 100 unfilled orders per 10 s per account).
- Unknown outcome: no response, any HTTP 5xx ("execution status UNKNOWN"), -1006, -1007.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rebalancer.venue import binance_weights as weights
from rebalancer.venue import error_markers
from rebalancer.venue.limits import VenueLimits
from rebalancer.venue.profiles.profile import (
    ClientIdRule,
    Request,
    RequestCosts,
    TradePage,
    VenueProfile,
)
from rebalancer.venue.raw_fields import BINANCE


@dataclass(frozen=True)
class BinanceProfile(VenueProfile):
    def book(self, symbol: str, limit: int) -> Request:
        depth = self.book_limit(limit)
        return Request("fetch_order_book", (symbol, depth), weights.depth_weight(depth))

    def next_trades(self, page: TradePage) -> Request | None:
        # Trade ids are sequential per symbol and fromId returns ids >= it in ascending order:
        # paging by id cannot skip a trade, paging by time could (many at one millisecond).
        # The first page asks with startTime alone: with endTime too, the window may not pass
        # 24 hours (-1127).
        if len(page.rows) < self.trades_page:
            return None
        next_id = max(int(t["id"]) for t in page.rows) + 1
        return self.trades(page.symbol, None, {"fromId": next_id})


# Limits: REQUEST_WEIGHT is counted per IP, so it is our venue-wide weight bucket as it is;
# ORDERS is counted per account, as our order bucket is. Binance counts only orders that do
# not fill at once against ORDERS; we count every placement, which can only be slower. The
# daily ORDERS cap (200,000) and RAW_REQUESTS (61,000 per 5 min, above 6,000 weight a minute
# since every request weighs at least 1) are not modelled.
PROFILE = BinanceProfile(
    exchange_id="binance",
    title="Binance spot",
    client_ids=ClientIdRule(max_length=36, pattern=re.compile(r"[A-Za-z0-9_-]{1,36}")),
    # bookTicker without a symbol: every symbol's best bid and ask for one weight of 4.
    quotes_method="fetch_bids_asks",
    quotes_all=True,
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
        open_orders_all_symbols=weights.open_orders_weight(False),
        closed_orders=weights.ALL_ORDERS,
        trades=weights.MY_TRADES,
        book=weights.depth_weight(100),
    ),
    # Every depth from 1 to 5000 is served today; these are the ones Binance has always
    # accepted, and the weight steps (5, 25, 50, 250) fall on them.
    book_depths=weights.BOOK_LIMITS,
    errors=error_markers.BINANCE,
    cancel_reports_order=True,
    trades_page=1000,
    ccxt_options={
        "defaultType": "spot",
        # Spot only: no futures markets, and no sapi margin or currency calls, ever.
        "fetchMarkets": {"types": ["spot"]},
        "fetchMargins": False,
        "fetchCurrencies": False,
        "fetchOpenOrders": {"warnWithoutSymbol": False},
    },
    # origQty, executedQty, price, cummulativeQuoteQty; qty, price, commission; balances[]
    # free and locked: what ccxt's binance parse_order, parse_trade and parse_balance read.
    raw_fields=BINANCE,
    sources=(
        "https://developers.binance.com/docs/binance-spot-api-docs/rest-api/trading-endpoints",
        "https://developers.binance.com/docs/binance-spot-api-docs/rest-api/account-endpoints",
        "https://developers.binance.com/docs/binance-spot-api-docs/rest-api/market-data-endpoints",
        "https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits",
        "https://developers.binance.com/docs/binance-spot-api-docs/faqs/order_count_decrement",
        "https://developers.binance.com/docs/binance-spot-api-docs/rest-api/http-return-codes",
        "https://developers.binance.com/docs/binance-spot-api-docs/errors",
        # Binance's answer on the spot newClientOrderId charset (-1100 message).
        "https://github.com/binance/binance-spot-api-docs/pull/34",
    ),
)
