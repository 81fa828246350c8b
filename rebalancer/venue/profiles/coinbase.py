"""Coinbase Advanced Trade spot (api/v3/brokerage).

- Client id: ``client_order_id``, a free string (ccxt's own default, ``ccxt-`` + a UUID, is
  41 characters); our canonical id is sent unchanged when it is letters, digits and dashes.
  ccxt drops a ``clientOrderId`` param and sends ``ccxt-<uuid>`` instead, so ours goes as the
  raw ``client_order_id`` body field, which overrides ccxt's.
- Reused client id: documented as "the order will not be created and the order
  corresponding with that ID will be returned instead" (``success: true``, its ``order_id``);
  the API's new-order failure reasons also list ``DUPLICATE_CLIENT_ORDER_ID``, a refusal.
  Both end at the existing order.
- Failures arrive as HTTP 200 ``{"success": false, "error_response": {...}}``.
- Lookup: no endpoint takes a client id (Get Order takes the venue's ``order_id``; List
  Orders filters by order ids, products, status), so a bounded scan: the symbol's open orders
  (``order_status=OPEN``), then its most recent orders of every status (no status filter:
  a cancelled order with fills is found too; ccxt's ``fetch_closed_orders`` asks for FILLED
  only).
- Cancel: by the venue's order id only (``POST orders/batch_cancel``); the reply carries ids
  and a per-order ``success`` flag.
- Book: the public ``market/product_book``; its ``limit`` is any int32 (no documented
  maximum). Quotes: one ``best_bid_ask`` request for every symbol.
- Trades: ``GET orders/historical/fills``, paged by the venue's ``cursor`` (ccxt puts it in
  the first fill's ``info``), never by time: the order of a page is the venue's, not ours.
- Limits: private endpoints 30 requests a second per user, public ones 10 a second per IP.
  Mapped as ccxt does: a weight bucket of 30 a second in which a private request costs 1 and
  a public or market-data one 3 (so public reads stay within 10 a second) and a v2 request
  11 (ccxt's 10.6: 10,000 an hour). The simplification: our weight bucket is shared by every
  account on this IP, though Coinbase counts private requests per user; the order bucket (no
  separate documented order limit: the private 30 a second) is per account.
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
from rebalancer.venue.raw_fields import Raw, RawFields, at

PRIVATE = 1
PUBLIC = 3
V2 = 11

# The ``order_configuration`` keys of the order types with a limit price.
LIMIT_CONFIGURATIONS = (
    "limit_limit_gtc",
    "limit_limit_gtd",
    "sor_limit_ioc",
    "stop_limit_stop_limit_gtc",
    "stop_limit_stop_limit_gtd",
)


def _configured(key: str, configurations: tuple[str, ...]) -> Raw:
    """``key`` in whichever of ``configurations`` the order has (it has one)."""
    return at(*(("order_configuration", c, key) for c in configurations))


@dataclass(frozen=True)
class CoinbaseProfile(VenueProfile):
    def next_trades(self, page: TradePage) -> Request | None:
        # Not the page length: ccxt drops fills of other symbols or before ``since`` from a
        # page, so a short page can still have a next one. An empty page or no cursor ends.
        cursor = next(
            (c for t in reversed(page.rows) if (c := (t.get("info") or {}).get("cursor"))), None
        )
        if not page.rows or not cursor:
            return None
        return self.trades(page.symbol, page.since_ms, {"cursor": str(cursor)})


PROFILE = CoinbaseProfile(
    exchange_id="coinbase",
    title="Coinbase Advanced Trade",
    client_ids=ClientIdRule(max_length=36, pattern=re.compile(r"[A-Za-z0-9-]{1,36}")),
    # ccxt drops a clientOrderId param and sends ccxt-<uuid>; the raw field overrides it.
    place_param="client_order_id",
    # No lookup by client id: a scan of the symbol's open orders, then its most recent of
    # every status (fetch_closed_orders asks for FILLED only).
    lookup_param=None,
    lookup_methods=("fetch_open_orders", "fetch_orders"),
    cancel_param=None,
    # best_bid_ask: one request for every symbol's best bid and ask; the products list
    # (fetch_tickers) carries a last price only.
    quotes_method="fetch_bids_asks",
    limits=VenueLimits(weight=30, weight_window=1.0, orders=30, order_window=1.0),
    costs=RequestCosts(
        # load_markets: products, FUTURE products and transaction_summary (the fee tier; 3
        # in ccxt too), then ccxt's currencies: v2 currencies, currencies/crypto and
        # exchange-rates. No option turns the currencies off.
        markets=PUBLIC * 3 + V2 * 3,
        ticker=PUBLIC,
        quotes=PUBLIC,
        # v3 accounts, 250 a page; an account holds one wallet per asset, often 2 pages.
        balance=PRIVATE * 2,
        place=PRIVATE,
        get_order=PRIVATE,
        cancel=PRIVATE,
        open_orders=PRIVATE,
        closed_orders=PRIVATE,
        trades=PRIVATE,
        book=PUBLIC,
    ),
    # product_book ``limit``: any int32, no documented maximum.
    errors=ErrorMarkers(
        duplicate=("DUPLICATE_CLIENT_ORDER_ID",),
        # ccxt's exact map makes the documented 500 body a plain ExchangeError; its outcome
        # is unknown ("treat the operation's status as unknown"), so look up, then retry.
        # Advanced Trade's own error bodies name gRPC-style codes (quoted here so that
        # UNKNOWN_FAILURE_REASON cannot match).
        unavailable=(
            "internal_server_error",
            '"error":"INTERNAL"',
            '"error":"UNAVAILABLE"',
            '"error":"DEADLINE_EXCEEDED"',
            '"error":"unknown"',
        ),
        # ccxt maps shortage only through preview_failure_reason; the new-order failure
        # reason alone says it too.
        insufficient=("INSUFFICIENT_FUND",),
    ),
    cancel_reports_order=False,
    scan_limit=100,
    trades_page=250,
    ccxt_options={
        "defaultType": "spot",
        # v3 accounts: available and hold per wallet, every page. ccxt's default (v2
        # accounts) reads one page of 250 and reports nothing as held by open orders.
        "fetchBalance": "v3PrivateGetBrokerageAccounts",
    },
    # Keys ccxt's coinbase parse_order, parse_trade and parse_custom_balance (v3 accounts)
    # read. Not mapped: an order's cost (ccxt computes filled x average) and a fill's fee
    # currency (ccxt takes the market's quote).
    raw_fields=RawFields(
        # Each order has one configuration; a market order's may hold a quote_size instead.
        order_amount=_configured("base_size", (*LIMIT_CONFIGURATIONS, "market_market_ioc")),
        order_filled=at("filled_size"),
        order_price=_configured("limit_price", LIMIT_CONFIGURATIONS),
        order_average=at("average_filled_price"),
        # A fill of an order placed in quote currency has its size in quote currency; ccxt
        # divides it by the price.
        trade_amount=at("size", when="size_in_quote", values=(False,)),
        trade_price=at("price"),
        trade_fee=at("commission"),
        balance_rows=("accounts",),
        balance_asset=("available_balance", "currency"),
        balance_free=at(("available_balance", "value")),
        balance_used=at(("hold", "value")),
    ),
    sources=(
        "https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/orders/create-order",
        "https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/orders/list-orders",
        "https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/orders/get-order",
        "https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/orders/cancel-orders",
        "https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/orders/list-fills",
        "https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/public/get-public-product-book",
        "https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/products/get-best-bid-ask",
        "https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/accounts/list-accounts",
        "https://docs.cdp.coinbase.com/advanced-trade/docs/rest-api-rate-limits",
        "https://docs.cdp.coinbase.com/coinbase-app/api-architecture/rate-limiting",
    ),
)
