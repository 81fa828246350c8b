"""Bybit spot (v5, ``category=spot``), for a unified trading account (UTA).

- Client id: ``orderLinkId``, at most 36 of ``[A-Za-z0-9_-]``, unique per account. Our
  canonical id is sent unchanged when it fits (no ``.``, ``:`` or ``/``), else ``rb`` + hex
  of its SHA-256. A second order under a link id in use is refused (170141 "Duplicate
  clientOrderId"; 110072 "OrderLinkedID is duplicate"; 12141 in older spot answers).
- Lookup: native, by ``orderLinkId`` on ``GET /v5/order/realtime`` (open orders and the
  account's 500 most recent closed ones, ``openOnly`` ignored for a link id), then on
  ``GET /v5/order/history`` without ``orderStatus`` (every status for 7 days, filled ones
  longer; it lags, and the realtime list is emptied by a Bybit restart, hence both).
- Cancel: ``POST /v5/order/cancel`` by ``orderLinkId``; the answer is ids only.
- Limits: 600 requests per 5 s per IP, GET and POST alike (HTTP 403 past it, an IP ban of
  about 30 minutes); per UID 20 spot orders a second on ``/v5/order/create`` (and 20 on
  cancel, 50 a second on the order and execution reads, none on market data), answered
  with retCode 10006 past it. Mapped: every request costs 1 of a 600-per-5 s bucket
  shared by all accounts on this IP; placements also take 1 of the account's 20 a second.
  Bybit counts the per-UID limits per endpoint; only placement is paced per account here.
- Book: ``GET /v5/market/orderbook``, spot depth 1 to 200.
- Trades: ``GET /v5/execution/list`` (``execType=Trade``), newest first, 100 a page, paged
  by cursor inside a window of 7 days from ``startTime``.
- ccxt: told the account is unified, so it never probes ``/v5/user/query-api`` and
  ``/v5/account/info`` before placing or reading balances (``UNIFIED`` wallet).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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

# /v5/execution/list answers at most 7 days from startTime.
WINDOW_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True)
class BybitProfile(VenueProfile):
    def next_trades(self, page: TradePage) -> Request | None:
        # Newest first: stepping forward from the newest trade seen would skip the older
        # rest of the window. Follow the cursor, then the next 7-day window, through empty
        # windows too (a quiet week before the last fills).
        start: int | None = page.request.args[1]
        cursor = _cursor(page.rows)
        if cursor and len(page.rows) >= self.trades_page:
            return self.trades(page.symbol, start, {"cursor": cursor})
        if start is None:
            return None
        following = start + WINDOW_MS
        if following > time.time() * 1000:
            return None
        return self.trades(page.symbol, following)


def _cursor(page: Sequence[Mapping[str, Any]]) -> str | None:
    # ccxt writes the page's nextPageCursor into the first raw row; its rows are then
    # sorted by time, so look at every one.
    for trade in page:
        info = trade.get("info")
        if isinstance(info, Mapping) and info.get("nextPageCursor"):
            return str(info["nextPageCursor"])
    return None


PROFILE = BybitProfile(
    exchange_id="bybit",
    title="Bybit spot",
    client_ids=ClientIdRule(max_length=36, pattern=re.compile(r"[A-Za-z0-9_-]{1,36}")),
    lookup_param="orderLinkId",
    # Not fetch_closed_orders: ccxt adds orderStatus=Filled there, which would hide a
    # cancelled order and its partial fill.
    lookup_methods=("fetch_open_orders", "fetch_canceled_and_closed_orders"),
    cancel_param="orderLinkId",
    limits=VenueLimits(weight=600, weight_window=5.0, orders=20, order_window=1.0),
    # Bybit counts requests, not weights.
    costs=RequestCosts.per_request(),
    max_book_depth=200,
    errors=ErrorMarkers(
        # Codes only in their compact JSON form: a bare "170141" also matches a timestamp.
        duplicate=(
            "Duplicate clientOrderId",
            "OrderLinkedID is duplicate",
            '"retCode":170141',
            '"retCode":110072',
            '"retCode":12141',
        ),
        # ccxt makes these ExchangeError or InvalidOrder (final), but Bybit says the server
        # did not finish: the order may exist, so look up before retrying.
        unavailable=(
            '"retCode":10000,',
            '"retCode":10016,',
            '"retCode":170146,',
            '"retCode":170007,',
        ),
        # HTTP 403 is the IP ban for passing 600 requests in 5 s ("about 30 minutes" in the
        # rate-limit docs); ccxt raises it as ExchangeNotAvailable with the status in the
        # message.
        banned=(" 403 Forbidden",),
        ban_seconds=1800.0,
    ),
    cancel_reports_order=False,
    scan_limit=50,
    # /v5/order/realtime answers 20 by default, at most 50.
    open_orders_limit=50,
    trades_page=100,
    # Market loading without the private coin-info request ccxt makes for currencies.
    ccxt_config={"has": {"fetchCurrencies": False}},
    ccxt_options={
        "defaultType": "spot",
        "fetchMarkets": {"types": ["spot"]},
        # What ccxt's is_unified_enabled() would otherwise learn from two private requests
        # before the first order or balance; unifiedMarginStatus 6 is UTA 2.0 (pro).
        "enableUnifiedMargin": False,
        "enableUnifiedAccount": True,
        "unifiedMarginStatus": 6,
    },
    # Keys ccxt's bybit parse_order, parse_trade and parse_balance read. A market order's qty
    # may be in quote currency (``marketUnit``) and its price is not a limit: both are read
    # from limit orders only. Not mapped: a balance's used amount (ccxt sums locked and
    # initial margins, or subtracts free from walletBalance) and fee currencies (ccxt's own).
    raw_fields=RawFields(
        order_amount=at("qty", when="orderType", values=("Limit",)),
        order_filled=at("cumExecQty"),
        order_price=at("price", when="orderType", values=("Limit",)),
        order_cost=at("cumExecValue"),
        order_average=at("avgPrice"),
        trade_amount=at("execQty"),
        trade_price=at("execPrice"),
        trade_fee=at("execFee"),
        balance_rows=("result", "list", 0, "coin"),
        balance_asset=("coin",),
        balance_free=at("availableToWithdraw", "free"),
    ),
    sources=(
        "https://bybit-exchange.github.io/docs/v5/order/create-order",
        "https://bybit-exchange.github.io/docs/v5/order/open-order",
        "https://bybit-exchange.github.io/docs/v5/order/order-list",
        "https://bybit-exchange.github.io/docs/v5/order/cancel-order",
        "https://bybit-exchange.github.io/docs/v5/order/execution",
        "https://bybit-exchange.github.io/docs/v5/market/orderbook",
        "https://bybit-exchange.github.io/docs/v5/rate-limit",
        "https://bybit-exchange.github.io/docs/v5/error",
        "https://bybit-exchange.github.io/docs/v5/acct-mode",
    ),
)
