"""Kraken spot (REST API 0).

- Client id: ``cl_ord_id``, a long UUID (8-4-4-4-12 hex), a short UUID (32 hex) or free ASCII
  text of at most 18 characters. Our canonical id goes unchanged when it fits the free-text
  form, otherwise as a lowercase long-UUID digest of it. Kraken keeps it unique among the
  account's *open* orders only, so the gateway looks up before any re-placement. ``userref``
  (an int32 tag, not unique) is never used; ccxt reports it ("0") as the client id of orders
  placed without ``cl_ord_id``, which never equals one of ours.
- Lookup: native, by the ``cl_ord_id`` filter of ``OpenOrders`` and then ``ClosedOrders``
  (ccxt's ``fetch_order`` maps a client id to ``userref``, and ``QueryOrders`` has no
  ``cl_ord_id`` filter).
- Cancel: ``CancelOrder`` by ``cl_ord_id``; the answer is ``{count, pending}`` only.
- Trades: ``TradesHistory`` covers every pair, 50 a page, newest first.
- Limits: a REST call counter per API key and a trading counter per pair (see ``PROFILE``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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

LONG_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
SHORT_UUID = r"[0-9a-f]{32}"
# "Free format ASCII text up to 18 characters", kept to the characters our ids use.
FREE_TEXT = r"[0-9A-Za-z_-]{1,18}"

# One unit is one public call (Kraken: about one a second per IP) or a third of a point of
# the private counter, which a Starter key loses at 0.33 a second: a bucket refilling one
# unit a second then keeps both. Private calls add 1 point, ledger and trade history 2,
# AddOrder and CancelOrder none (they count on the per-pair trading counter instead).
PUBLIC = 1
PRIVATE = 3
HISTORY = 6


@dataclass(frozen=True)
class KrakenProfile(VenueProfile):
    def trades(
        self, symbol: str, since_ms: int | None, params: Mapping[str, Any] | None = None
    ) -> Request:
        # Every pair, unfiltered: ccxt's symbol filter would shrink a page below 50 and end
        # the paging early. ``since`` goes as Kraken's own ``start``.
        asked = {**_window(since_ms), **(params or {})}
        return Request("fetch_my_trades", (None, None, None, asked), self.costs.trades)

    def next_trades(self, page: TradePage) -> Request | None:
        # Newest first: the next page ends at the oldest trade of this one (``end`` is
        # inclusive). Trades arriving meanwhile are newer and shift nothing, unlike ``ofs``
        # counted from the newest; the repeated trade is dropped by id.
        if len(page.rows) < self.trades_page:
            return None
        oldest = min(page.rows, key=lambda t: int(t["timestamp"]))
        if page.since_ms is not None and int(oldest["timestamp"]) < page.since_ms:
            return None
        return self.trades(page.symbol, page.since_ms, {"end": str(oldest["id"])})


def _window(since_ms: int | None) -> dict[str, Any]:
    # ``start`` is exclusive and in seconds: one second earlier keeps a trade at ``since``.
    return {} if since_ms is None else {"start": since_ms // 1000 - 1}


PROFILE = KrakenProfile(
    exchange_id="kraken",
    title="Kraken spot",
    client_ids=ClientIdRule(
        max_length=36,
        pattern=re.compile(f"{LONG_UUID}|{SHORT_UUID}|{FREE_TEXT}"),
        digest_form="uuid",
    ),
    # OpenOrders and ClosedOrders filter by cl_ord_id (QueryOrders cannot; ccxt's
    # fetch_order would send it as userref).
    lookup_methods=("fetch_open_orders", "fetch_closed_orders"),
    # No symbol: ccxt would drop rows whose descr.pair is an altname (XBTUSD for XXBTZUSD)
    # it cannot resolve, and the order would look unplaced. The id is unique.
    lookup_any_symbol=True,
    # Weight: a Starter key's counter (15 points, -0.33/s) in thirds of a point: its 15
    # points (45 units) at once, as Kraken's counter allows, then 0.5 unit/s, below the key's
    # decay and near one public call a second. A reconcile of a few symbols (about 35 units)
    # fits in the burst. Kraken counts private calls per key, our bucket per IP: many
    # accounts on one IP share one key's budget (safe, slow). Orders: a Starter pair's
    # trading counter (60, -1/s, +1 per AddOrder), kept per account over all its pairs.
    # Cancels are not drawn from it although Kraken charges up to +8 for cancelling an order
    # younger than 5 s.
    limits=VenueLimits(weight=90, weight_window=90.0, orders=60, order_window=60.0, burst=45),
    costs=RequestCosts(
        # load_markets reads /public/Assets and /public/AssetPairs.
        markets=2 * PUBLIC,
        ticker=PUBLIC,
        quotes=PUBLIC,
        book=PUBLIC,
        balance=PRIVATE,
        place=0,
        get_order=PRIVATE,
        cancel=0,
        open_orders=PRIVATE,
        closed_orders=PRIVATE,
        trades=HISTORY,
    ),
    # Depth ``count``: 1 to 500.
    max_book_depth=500,
    # Kraken does not document the error; both forms seen in use start with this.
    errors=ErrorMarkers(
        duplicate=("EOrder:Duplicate",),
        # ccxt's kraken map does not know these: a wrong secret, and the REST throttle whose
        # end (unix seconds) the message carries.
        authentication=("EAPI:Invalid signature",),
        # Also "EOrder:Domain rate limit exceeded", which ccxt's case-sensitive match misses.
        rate_limited=("EService: Throttled", "EService:Throttled", "rate limit exceeded"),
    ),
    cancel_reports_order=False,
    trades_page=50,
    ccxt_options={
        # No /public/Time request when markets load. fetchCurrencies stays on: ccxt maps
        # Kraken's asset ids (XXBT, ZUSD) to codes through it.
        "adjustForTimeDifference": False,
    },
    # Keys ccxt's kraken parse_order and parse_trade read. An order's ``price`` is its average
    # fill price; its limit price is ``descr.price``, a trigger price in stop and take-profit
    # orders. Not mapped: an order's ``cost`` (ccxt computes filled x average), a fill's fee
    # currency (ccxt takes the market's quote), and balances: BalanceEx has no free amount
    # (ccxt subtracts hold_trade from balance) and its asset ids are Kraken's (XXBT, ZUSD).
    raw_fields=RawFields(
        order_amount=at("vol"),
        order_filled=at("vol_exec"),
        order_price=at(("descr", "price"), when=("descr", "ordertype"), values=("limit",)),
        order_average=at("price"),
        trade_amount=at("vol"),
        trade_price=at("price"),
        trade_fee=at("fee"),
    ),
    sources=(
        "https://docs.kraken.com/api/docs/guides/spot-clordid",
        "https://docs.kraken.com/api/docs/rest-api/add-order",
        "https://docs.kraken.com/api/docs/rest-api/get-open-orders",
        "https://docs.kraken.com/api/docs/rest-api/get-closed-orders",
        "https://docs.kraken.com/api/docs/rest-api/get-orders-info",
        "https://docs.kraken.com/api/docs/rest-api/cancel-order",
        "https://docs.kraken.com/api/docs/rest-api/get-trade-history",
        "https://docs.kraken.com/api-reference/market-data/get-order-book",
        "https://docs.kraken.com/api/docs/guides/spot-rest-ratelimits",
        "https://docs.kraken.com/api/docs/guides/spot-ratelimits",
        "https://docs.kraken.com/api/docs/guides/spot-errors",
        "https://support.kraken.com/hc/en-us/articles/206548367-What-are-the-API-rate-limits",
    ),
)
