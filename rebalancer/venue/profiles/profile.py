"""What differs between venues, stated once per venue and read by the ccxt gateway.

Exactly-once rests on finding an order again by the id we gave it. Venues differ in the
id they accept (length, charset), in whether they can look an order up by it, and in how
they say "this id is already in use". A ``VenueProfile`` states those facts, the venue's
documented request limits and accepted book depths, and the requests (unified ccxt methods
and their venue parameters) that the gateway sends for each operation. The gateway keeps the
budget, retries and parsing; a profile makes no request itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal

from rebalancer.domain.orders import CLIENT_ID_PREFIX
from rebalancer.venue.error_markers import ErrorMarkers
from rebalancer.venue.limits import VenueLimits
from rebalancer.venue.raw_fields import RawFields


@dataclass(frozen=True)
class Request:
    """One unified ccxt call: ``getattr(exchange, method)(*args)``, costing ``weight``."""

    method: str
    args: tuple[Any, ...]
    weight: int


@dataclass(frozen=True)
class TradePage:
    """One page of a trade history as read: what the venue profile pages on."""

    symbol: str
    since_ms: int | None
    rows: Sequence[Mapping[str, Any]]
    # The request that read it (its window, its cursor).
    request: Request


@dataclass(frozen=True)
class ClientIdRule:
    """The venue's client order id format and how our deterministic id maps into it.

    The canonical id (``domain.orders.client_order_id``) is sent unchanged when the venue
    accepts it. Otherwise a digest of it, in the venue's format, is sent: deterministic, so
    a retry or another process sends the same id, and 120 bits or more of SHA-256, so two
    of one account's orders cannot collide in any practical sense.
    """

    max_length: int
    pattern: re.Pattern[str]
    # How to write the digest: "prefixed-hex" ("rb" + hex to max_length) or "uuid"
    # (8-4-4-4-12 lowercase hex).
    digest_form: Literal["prefixed-hex", "uuid"] = "prefixed-hex"

    def accepts(self, value: str) -> bool:
        return len(value) <= self.max_length and self.pattern.fullmatch(value) is not None

    def venue_id(self, canonical: str) -> str:
        if self.accepts(canonical):
            return canonical
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        if self.digest_form == "uuid":
            # A version-4, RFC 4122 variant UUID (122 bits of the digest): valid for a venue
            # that checks the form.
            variant = "89ab"[int(digest[16], 16) % 4]
            mapped = (
                f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-{variant}{digest[17:20]}-"
                f"{digest[20:32]}"
            )
        else:
            mapped = CLIENT_ID_PREFIX + digest[: self.max_length - len(CLIENT_ID_PREFIX)]
        if not self.accepts(mapped):
            raise ValueError(f"client id rule cannot hold a digest: {self}")
        return mapped


@dataclass(frozen=True)
class RequestCosts:
    """What each operation costs in the venue's request budget (its weight, or 1 where the
    venue counts requests: ``per_request``).

    No cost has a default: a weight left out by mistake would be counted as 1 and could
    overrun the venue's budget (a Binance weight can be 20 or more).
    """

    markets: int
    ticker: int
    quotes: int
    balance: int
    place: int
    get_order: int
    cancel: int
    open_orders: int
    closed_orders: int
    trades: int
    book: int
    # Open orders of every symbol at once, where the venue charges that more (None: as one).
    open_orders_all_symbols: int | None = None

    @classmethod
    def per_request(cls) -> RequestCosts:
        """A venue that counts requests, not weights: every operation costs 1."""
        return cls(**{f.name: 1 for f in fields(cls) if f.default is MISSING})


@dataclass(frozen=True)
class VenueProfile:
    """A spot venue reached through stock ccxt: the facts as data, the requests built from
    them. A subclass overrides only what data cannot say (a venue's trade paging)."""

    exchange_id: str
    title: str
    client_ids: ClientIdRule
    limits: VenueLimits
    # The ccxt params key that carries our id when placing (ccxt maps ``clientOrderId`` to
    # most venues' own name; some need theirs, or ccxt would send an id of its own).
    place_param: str = "clientOrderId"
    # Finding an order again: the key that asks the venue for our id, or None for a scan of
    # recent orders matched on the id here; and the ccxt methods asked, in turn.
    lookup_param: str | None = "clientOrderId"
    lookup_methods: tuple[str, ...] = ("fetch_order",)
    # Ask for every symbol's orders (the id is unique; ccxt's symbol filter can drop rows).
    lookup_any_symbol: bool = False
    # The key that cancels by our id, or None: the venue cancels by its own order id only.
    cancel_param: str | None = "clientOrderId"
    # Best bid and ask of many symbols in one request; ``quotes_all``: the call takes no
    # symbols and answers for every one.
    quotes_method: str = "fetch_tickers"
    quotes_all: bool = False
    costs: RequestCosts = field(default_factory=RequestCosts.per_request)
    # Depths the venue's book endpoint accepts (ascending), or a maximum with every depth
    # up to it accepted.
    book_depths: tuple[int, ...] = ()
    max_book_depth: int | None = None
    # The venue's words for errors ccxt's classes miss: above all "an order with this client
    # id exists already", and "could not serve" (outcome unknown: look up before retrying).
    errors: ErrorMarkers = field(default_factory=ErrorMarkers)
    # Whether a cancel's response is the whole order (status, filled); if not, the gateway
    # reads the order after cancelling.
    cancel_reports_order: bool = False
    # How many recent orders a scan reads per list (open, closed).
    scan_limit: int = 100
    # How many open orders to ask for when listing them, where the venue's default is small
    # (None: the venue's default).
    open_orders_limit: int | None = None
    trades_page: int = 100
    ccxt_options: Mapping[str, Any] = field(default_factory=dict)
    # Merged into the ccxt constructor's config: overrides ccxt's options cannot reach, such
    # as ``{"has": {"fetchCurrencies": False}}`` to keep market loading to one request.
    ccxt_config: Mapping[str, Any] = field(default_factory=dict)
    # The venue's API keys come with a passphrase (ccxt's ``password`` credential).
    needs_passphrase: bool = False
    # Where the venue's own decimal strings are in ccxt's ``info``: read instead of ccxt's
    # floats, which keep 15 to 17 significant digits. None named: the floats are read.
    raw_fields: RawFields = field(default_factory=RawFields)
    # Links to the venue documentation the facts above come from.
    sources: tuple[str, ...] = ()

    # ------------------------------------------------------------------ facts

    def venue_client_id(self, canonical: str) -> str:
        return self.client_ids.venue_id(canonical)

    def book_limit(self, levels: int) -> int:
        """The depth to ask for: the smallest accepted one covering ``levels``."""
        wanted = max(1, levels)
        if self.book_depths:
            return next((d for d in self.book_depths if d >= wanted), self.book_depths[-1])
        if self.max_book_depth is not None:
            return min(wanted, self.max_book_depth)
        return wanted

    # --------------------------------------------------------------- requests

    def place(
        self,
        symbol: str,
        side: str,
        amount: str,
        price: str,
        client_id: str,
        *,
        post_only: bool,
    ) -> Request:
        params: dict[str, Any] = {self.place_param: client_id}
        if post_only:
            params["postOnly"] = True
        return Request(
            "create_order", (symbol, "limit", side, amount, price, params), self.costs.place
        )

    def find(self, symbol: str, client_id: str) -> Sequence[Request]:
        """Requests that may return the order with ``client_id``, tried in order until one
        does. ``fetch_order`` answers with the order or OrderNotFound; a list is matched on
        the id by the gateway (a scan reads the ``scan_limit`` most recent orders)."""
        where = None if self.lookup_any_symbol else symbol
        asked = {} if self.lookup_param is None else {self.lookup_param: client_id}
        limit = self.scan_limit if self.lookup_param is None else None
        requests = []
        for method in self.lookup_methods:
            if method == "fetch_order":
                requests.append(Request(method, (None, where, asked), self.costs.get_order))
            else:
                cost = self.costs.open_orders if "open" in method else self.costs.closed_orders
                requests.append(Request(method, (where, None, limit, dict(asked)), cost))
        return tuple(requests)

    def cancel(self, symbol: str, client_id: str, venue_order_id: str | None) -> Request | None:
        """The cancel request, or None when the venue cancels only by its own order id and
        that is not known yet (the gateway finds the order first)."""
        if self.cancel_param is None:
            if venue_order_id is None:
                return None
            return Request("cancel_order", (venue_order_id, symbol), self.costs.cancel)
        return Request(
            "cancel_order",
            (venue_order_id, symbol, {self.cancel_param: client_id}),
            self.costs.cancel,
        )

    def book(self, symbol: str, limit: int) -> Request:
        return Request("fetch_order_book", (symbol, self.book_limit(limit)), self.costs.book)

    def quotes(self, symbols: Sequence[str]) -> Request:
        asked = () if self.quotes_all else (list(symbols),)
        return Request(self.quotes_method, asked, self.costs.quotes)

    def trades(
        self, symbol: str, since_ms: int | None, params: Mapping[str, Any] | None = None
    ) -> Request:
        """A page of the trade history from ``since_ms`` (with the venue's paging params)."""
        args = (symbol, since_ms, self.trades_page, *([dict(params)] if params else []))
        return Request("fetch_my_trades", args, self.costs.trades)

    def next_trades(self, page: TradePage) -> Request | None:
        """The request for the page after ``page``, or None when ``page`` was the last.

        The default pages forward in time from the newest trade seen; the gateway drops the
        repeats (trades at that same millisecond) by trade id.
        """
        if len(page.rows) < self.trades_page:
            return None
        newest = max(int(t["timestamp"]) for t in page.rows)
        if page.since_ms is not None and newest <= page.since_ms:
            return None
        return self.trades(page.symbol, newest)
