"""OKX spot (api/v5). Keys come with a passphrase (ccxt's ``password``).

- Client id: ``clOrdId``, 1-32 case-sensitive letters and digits. Our canonical id has dashes,
  so the venue gets ``rb`` + 30 hex of its SHA-256. ccxt invents a ``clOrdId`` (and a broker
  ``tag``) only when none is given; with ours it sends ours, unchanged and untagged.
- Lookup: native, ``GET /api/v5/trade/order?instId=&clOrdId=`` (open and completed orders; the
  latest one if an id was reused). An unknown id is code 51603 "Order does not exist". A
  canceled order that never filled is kept only about 2 hours (ccxt's okx features:
  ``daysBackCanceled: 1/12``); after that its id looks unknown.
- Duplicate id: the order operation fails as ``code: "1"`` with ``data[0].sCode`` 51016
  ("Duplicated clOrdId"). The gateway looks the id up before any re-placement.
- Cancel: by ``clOrdId`` (``POST /api/v5/trade/cancel-order``); the reply carries ids only.
- Trades: ``fetch_my_trades`` reads ``/api/v5/trade/fills-history`` (3 months, newest first,
  at most 100 a page); older pages are asked for with ``after`` = the oldest ``billId`` seen.
- Book: ``/api/v5/market/books`` takes any ``sz`` up to 400.
- Limits are per endpoint per 2 s: public ones per IP (books 40, tickers 20, instruments 20),
  private ones per user id (order get/place/cancel 60 per instrument, pending orders 60,
  order history 40, balance 10, fills-history 10); ccxt's okx request costs agree. Mapping:
  one weight bucket of 40 per 2 s (one books read) with each request costing 40 / its limit,
  so no endpoint can be overrun. The simplification: our weight bucket is shared by every
  account on this IP, so private reads of many accounts are throttled together although OKX
  counts them per account; the order bucket (60 per 2 s, place-order's limit) is per account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rebalancer.venue.error_markers import ErrorMarkers
from rebalancer.venue.limits import VenueLimits
from rebalancer.venue.profiles.profile import (
    ClientIdRule,
    Request,
    RequestCosts,
    TradePage,
    VenueProfile,
)
from rebalancer.venue.raw_fields import RawFields, at

WEIGHT_PER_2S = 40


def _cost(limit_per_2s: int) -> int:
    """Weight units of one request to an endpoint allowing ``limit_per_2s`` requests."""
    return max(1, WEIGHT_PER_2S // limit_per_2s)


@dataclass(frozen=True)
class OkxProfile(VenueProfile):
    def next_trades(self, page: TradePage) -> Request | None:
        # Pages come newest first: paging forward from the newest trade would skip every
        # trade between ``since`` and the first page. Page back by billId, keeping ``begin``.
        if len(page.rows) < self.trades_page:
            return None
        oldest = min(int(t["info"]["billId"]) for t in page.rows)
        return self.trades(page.symbol, page.since_ms, {"after": str(oldest)})


PROFILE = OkxProfile(
    exchange_id="okx",
    title="OKX spot",
    client_ids=ClientIdRule(max_length=32, pattern=re.compile(r"[A-Za-z0-9]{1,32}")),
    # OKX's own name throughout; given an id, ccxt neither replaces it nor adds its broker
    # tag.
    place_param="clOrdId",
    lookup_param="clOrdId",
    cancel_param="clOrdId",
    limits=VenueLimits(weight=WEIGHT_PER_2S, weight_window=2.0, orders=60, order_window=2.0),
    costs=RequestCosts(
        markets=_cost(20),
        ticker=_cost(20),
        quotes=_cost(20),
        balance=_cost(10),
        place=_cost(60),
        get_order=_cost(60),
        cancel=_cost(60),
        open_orders=_cost(60),
        closed_orders=_cost(40),
        trades=_cost(10),
        book=_cost(40),
    ),
    max_book_depth=400,
    # The code alone could match digits of an order id or a timestamp in the reply.
    errors=ErrorMarkers(duplicate=('"sCode":"51016"',)),
    cancel_reports_order=False,
    trades_page=100,
    # Without it ccxt refuses every private call (okx requiredCredentials: password).
    needs_passphrase=True,
    # Market loading without the private currencies request ccxt makes when keys are set.
    ccxt_config={"has": {"fetchCurrencies": False}},
    ccxt_options={
        "defaultType": "spot",
        # Spot instruments only: no swap, futures or option instrument requests.
        "fetchMarkets": {"types": ["spot"]},
        # One order per request; OKX charges a one-order batch to place-order's limit anyway.
        "createOrder": "privatePostTradeOrder",
    },
    # Keys ccxt's okx parse_order, parse_trade and parse_trading_balance read. Not mapped: an
    # order's cost (ccxt computes filled x average), fees (OKX writes a fee paid as a negative
    # number, ccxt negates it) and fee currencies (ccxt renames some ids).
    raw_fields=RawFields(
        # A spot market order's sz may be in quote currency (tgtCcy); a limit order's is not.
        order_amount=at("sz", when="ordType", values=("limit", "post_only", "fok", "ioc")),
        order_filled=at("accFillSz"),
        order_price=at("px"),
        order_average=at("avgPx"),
        trade_amount=at("fillSz"),
        trade_price=at("fillPx"),
        balance_rows=("data", 0, "details"),
        balance_asset=("ccy",),
        balance_free=at("availEq", "availBal"),
        # With availEq, ccxt's used is eq - availEq, which no single key holds.
        balance_used=at("frozenBal", when="availEq", values=("", None)),
    ),
    sources=(
        "https://www.okx.com/docs-v5/en/#overview-rate-limits",
        "https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-order",
        "https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-cancel-order",
        "https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-details",
        "https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-transaction-details-last-3-months",
        "https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-order-book",
        "https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-tickers",
        "https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-balance",
        "https://www.okx.com/docs-v5/en/#error-code",
    ),
)
