"""``VenueGateway`` over stock ccxt (async).

- Markets, filters and precision come from ccxt's own market data, loaded once per venue
  per process and shared by every gateway to that venue.
- Every request first takes its weight from the venue's shared bucket (``rate_limit``);
  a ``Retry-After`` on any response pauses that bucket for everyone.
- Errors are classified (``ccxt_errors``): retryable ones are retried a few times here
  (reads with backoff), final ones raise at once.
- What differs between venues (client id format, how an order is found again by it, request
  costs and limits, book depths, duplicate-id errors) comes from the venue's profile
  (``profiles``); the requests are stock ccxt unified calls.
- Placement is idempotent: before placing again after a retryable failure the gateway
  looks the client order id up, and a duplicate-client-id rejection resolves to the
  existing order. A caller that retries ``place_limit_order`` itself (a Temporal activity
  retry) should call ``fetch_order`` first when its attempt is not the first: Binance
  accepts a reused client id once the earlier order is closed.
- Callers use the canonical client id (``domain.orders.client_order_id``); where the venue
  needs another format the profile maps it, and orders come back under the canonical id.

For the paper venue, ccxt.binance is pointed at the server's base URL with spot-only
options (``paper_exchange_config``); ccxt itself is not patched.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar

import aiohttp
import ccxt
import ccxt.async_support as ccxt_async
import certifi
import structlog
from pydantic import SecretStr

from rebalancer.domain.market import MarketRules, OrderBook, Quote
from rebalancer.domain.numbers import plain
from rebalancer.domain.orders import CLIENT_ID_PREFIX
from rebalancer.venue.ccxt_errors import classify
from rebalancer.venue.ccxt_parse import (
    parse_balances,
    parse_markets,
    parse_order,
    parse_order_book,
    parse_quote,
    parse_trade,
)
from rebalancer.venue.errors import (
    AuthenticationFailed,
    DuplicateClientOrderId,
    FinalVenueError,
    InsufficientFunds,
    InvalidOrder,
    MalformedResponse,
    OrderNotFound,
    RateLimited,
    RetryableVenueError,
    VenueError,
    VenueNetworkError,
    VenueUnavailable,
)
from rebalancer.venue.models import Balance, LimitOrder, VenueOrder, VenueTrade
from rebalancer.venue.profiles import profile_for
from rebalancer.venue.profiles.profile import Request, TradePage, VenueProfile
from rebalancer.venue.rate_limit import VenueLimiter, limiter_for, parse_rate_limits

T = TypeVar("T")
log = structlog.get_logger("rebalancer.venue")

MAX_TRADE_PAGES = 20


def paper_api_urls(base_url: str) -> dict[str, str]:
    """ccxt.binance's ``urls['api']`` for a paper venue at ``base_url``.

    Only the spot sections exist, so a call to any other section fails inside ccxt
    (NotSupported) instead of leaving the machine.
    """
    base = base_url.rstrip("/")
    return {"public": f"{base}/api/v3", "private": f"{base}/api/v3", "v1": f"{base}/api/v1"}


@dataclass
class _SharedVenue:
    """What every gateway to one venue shares in one event loop: parsed markets, and one
    HTTP session (one connection pool, one TLS context) whose responses feed Retry-After
    to the venue's limiter. Thousands of accounts then cost one pool, not thousands."""

    limiter: VenueLimiter
    # The ccxt client that loaded the markets (None until one has): others copy its
    # markets, currencies and the market helpers some venues parse with (Kraken's altnames,
    # XXBT -> BTC), none of which ``set_markets`` alone carries.
    source: Any = None
    rules: dict[str, MarketRules] = field(default_factory=dict)
    loaded_at: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    session: aiohttp.ClientSession | None = None
    users: int = 0
    # Public order books, by (symbol, depth): (read at, book or the read in flight). Public
    # data is the same for every account, so a thousand accounts checking drift cost one
    # read per symbol per freshness window, not a thousand, in time and in rate limit.
    books: dict[tuple[str, int], tuple[float, asyncio.Future[OrderBook]]] = field(
        default_factory=dict
    )

    def open_session(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            trace = aiohttp.TraceConfig()
            trace.on_request_end.append(self._on_response)
            self.session = aiohttp.ClientSession(trace_configs=[trace])
        self.users += 1
        return self.session

    async def release_session(self) -> None:
        self.users -= 1
        if self.users <= 0 and self.session is not None:
            session, self.session = self.session, None
            await session.close()

    async def _on_response(
        self,
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        retry_after = params.response.headers.get("Retry-After")
        if retry_after:
            with contextlib.suppress(ValueError):
                self.limiter.pause(float(retry_after))


_VENUES: dict[tuple[int, str, str], _SharedVenue] = {}
_TLS: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for the process: building one costs ~30 ms, and ccxt
    would build one per exchange instance."""
    global _TLS
    if _TLS is None:
        _TLS = ssl.create_default_context(cafile=certifi.where())
    return _TLS


class CcxtGateway:
    def __init__(
        self,
        exchange_id: str,
        *,
        api_key: str | SecretStr,
        api_secret: str | SecretStr,
        api_passphrase: str | SecretStr | None = None,
        venue: str | None = None,
        base_url: str | None = None,
        timeout: float = 10.0,
        max_attempts: int = 3,
        max_wait: float = 30.0,
        markets_ttl: float = 3600.0,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        if exchange_id not in ccxt_async.exchanges:
            raise ValueError(f"exchange_id: ccxt has no exchange {exchange_id!r}")
        self._profile: VenueProfile = profile_for(exchange_id)
        if base_url is not None and exchange_id != "binance":
            raise ValueError("base_url: only ccxt.binance can be pointed at another server")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._exchange_id = exchange_id
        self._venue = venue or exchange_id
        self._api_key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        self._api_secret = (
            api_secret if isinstance(api_secret, SecretStr) else SecretStr(api_secret)
        )
        self._api_passphrase = (
            SecretStr(api_passphrase) if isinstance(api_passphrase, str) else api_passphrase
        )
        self._base_url = base_url.rstrip("/") if base_url else None
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._max_wait = max_wait
        self._markets_ttl = markets_ttl
        self._options = {**self._profile.ccxt_options, **(options or {})}
        self._exchange: Any = None
        self._venue_state: _SharedVenue | None = None
        self._limiter: VenueLimiter | None = None
        # Venue order id -> canonical client id, and the venue's form of a client id ->
        # canonical, for every order this gateway has seen or named.
        self._client_ids: dict[str, str] = {}
        self._canonical: dict[str, str] = {}
        # Every-pair trade history reads in flight, by ``since``.
        self._histories: dict[int | None, asyncio.Future[list[Any]]] = {}
        self._markets_loaded_at = -1.0

    def __repr__(self) -> str:
        where = f" at {self._base_url}" if self._base_url else ""
        return f"CcxtGateway({self._exchange_id}{where}, venue={self._venue!r})"

    @property
    def venue(self) -> str:
        return self._venue

    @property
    def limiter(self) -> VenueLimiter:
        """The venue-wide request budget (created with the first request)."""
        if self._limiter is None:
            self._limiter = limiter_for(self._exchange_id, self._base_url, self._profile.limits)
        return self._limiter

    @property
    def _order_key(self) -> str:
        # Orders are limited per account; the API key identifies it without revealing it.
        return str(hash(self._api_key.get_secret_value()))

    # --------------------------------------------------------------- plumbing

    def _client(self) -> Any:
        if self._exchange is None:
            shared = self._shared()
            config: dict[str, Any] = {
                **self._profile.ccxt_config,
                "apiKey": self._api_key.get_secret_value(),
                "secret": self._api_secret.get_secret_value(),
                **(
                    {"password": self._api_passphrase.get_secret_value()}
                    if self._api_passphrase is not None
                    else {}
                ),
                # The shared bucket paces requests; ccxt's per-instance throttle would not
                # see the other gateways.
                "enableRateLimit": False,
                "timeout": int(self._timeout * 1000),
                "session": shared.open_session(),
                "ssl_context": _tls_context(),
                "options": dict(self._options),
            }
            exchange = getattr(ccxt_async, self._exchange_id)(config)
            if self._base_url is not None:
                exchange.urls["api"] = paper_api_urls(self._base_url)
            self._exchange = exchange
        return self._exchange

    def _shared(self) -> _SharedVenue:
        if self._venue_state is None:
            key = (id(asyncio.get_running_loop()), self._exchange_id, self._base_url or "")
            shared = _VENUES.get(key)
            if shared is None:
                shared = _VENUES[key] = _SharedVenue(self.limiter)
            self._venue_state = shared
        return self._venue_state

    async def _ready(self) -> Any:
        """The ccxt client with markets loaded (once per venue, shared by all gateways)."""
        exchange = self._client()
        shared = self._shared()
        if shared.source is None or time.monotonic() - shared.loaded_at > self._markets_ttl:
            async with shared.lock:
                if shared.source is None or time.monotonic() - shared.loaded_at > self._markets_ttl:
                    await self._load_markets(exchange, shared)
        if self._markets_loaded_at != shared.loaded_at:
            # Another gateway loaded them: share its parsed markets, no request needed.
            if exchange is not shared.source:
                exchange.set_markets_from_exchange(shared.source)
            self._markets_loaded_at = shared.loaded_at
        return exchange

    async def _load_markets(self, exchange: Any, shared: _SharedVenue) -> None:
        limiter = self.limiter
        cost = self._profile.costs.markets
        if self._exchange_id == "binance":
            # ccxt does not keep the declared rate limits; read them once, then size the bucket.
            info = await self._attempt(exchange, cost, "publicGetExchangeInfo")
            limiter.resize(parse_rate_limits(info.get("rateLimits") or [], self._profile.limits))
        await self._attempt(exchange, cost, "load_markets", True)
        shared.source = exchange
        shared.rules = parse_markets(exchange.markets, int(exchange.precisionMode))
        shared.loaded_at = time.monotonic()

    async def _attempt(
        self, exchange: Any, weight: int, method: str, *args: Any, order: bool = False
    ) -> Any:
        """One request: budget, call, classify."""
        limiter = self.limiter
        if (waiting := limiter.pause_remaining()) > self._max_wait:
            raise RateLimited(f"{self._venue}: paused by the venue", retry_after=waiting)
        await limiter.acquire(weight, order_key=self._order_key if order else None)
        try:
            return await getattr(exchange, method)(*args)
        except ccxt.BaseError as error:
            raise classify(
                error,
                retry_after=limiter.pause_remaining() or None,
                markers=self._profile.errors,
            ) from error
        except (TimeoutError, aiohttp.ClientError) as error:
            raise VenueNetworkError(f"{self._venue}: {error!r}") from error

    async def _call(self, weight: int, method: str, *args: Any, order: bool = False) -> Any:
        return await self._attempt(await self._ready(), weight, method, *args, order=order)

    async def _send(self, request: Request) -> Any:
        return await self._retrying(request.weight, request.method, *request.args)

    async def _retrying(self, weight: int, method: str, *args: Any) -> Any:
        for attempt in range(1, self._max_attempts + 1):
            try:
                return await self._call(weight, method, *args)
            except RetryableVenueError as error:
                if attempt == self._max_attempts:
                    raise
                await self._backoff(error, attempt)
        raise AssertionError("unreachable")

    async def _backoff(self, error: RetryableVenueError, attempt: int) -> None:
        delay = error.retry_after if error.retry_after else min(2.0, 0.2 * 2 ** (attempt - 1))
        if isinstance(error, RateLimited):
            # The shared bucket waits out a pause the venue asked for (Retry-After). Without
            # one (OKX, Bybit send none), or for a ban whose end the venue told, every gateway
            # of the venue backs off, not only this one.
            paused = self.limiter.pause_remaining()
            if paused <= 0:
                self.limiter.pause(delay)
                paused = delay
            if paused > self._max_wait:
                raise error
            return
        if delay > self._max_wait:
            raise error
        await asyncio.sleep(delay)

    # ----------------------------------------------------------------- reads

    async def markets(self) -> dict[str, MarketRules]:
        await self._ready()
        return dict(self._shared().rules)

    async def order_book(self, symbol: str, limit: int = 20, max_age: float = 0.0) -> OrderBook:
        """The book; with ``max_age`` > 0, one read shared by every gateway of this venue in
        the worker while it is younger than that (concurrent callers wait for the same read)."""
        if max_age <= 0:
            return await self._read_book(symbol, limit)
        books = self._shared().books
        now = time.monotonic()
        cached = books.get((symbol, limit))
        if cached is not None and now - cached[0] <= max_age:
            future = cached[1]
            if not future.done() or future.exception() is None:
                return await asyncio.shield(future)
        future = asyncio.get_running_loop().create_future()
        books[(symbol, limit)] = (now, future)
        try:
            book = await self._read_book(symbol, limit)
        except asyncio.CancelledError:
            books.pop((symbol, limit), None)
            future.cancel()
            raise
        except Exception as error:
            books.pop((symbol, limit), None)
            future.set_exception(error)
            # Waiters get the error; mark it seen so asyncio does not log it as lost.
            future.exception()
            raise
        future.set_result(book)
        return book

    async def _read_book(self, symbol: str, limit: int) -> OrderBook:
        raw = await self._send(self._profile.book(symbol, limit))
        return self._parse("order book", lambda: parse_order_book(raw))

    async def ticker(self, symbol: str) -> Quote:
        raw = await self._retrying(self._profile.costs.ticker, "fetch_ticker", symbol)
        return self._parse("ticker", lambda: parse_quote(raw))

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        raw = await self._send(self._profile.quotes(symbols))
        wanted = set(symbols)
        rows: dict[str, Any] = {s: row for s, row in (raw or {}).items() if s in wanted}
        return self._parse("book tickers", lambda: {s: parse_quote(r) for s, r in rows.items()})

    async def balances(self) -> dict[str, Balance]:
        raw = await self._retrying(self._profile.costs.balance, "fetch_balance")
        return self._parse(
            "balance", lambda: parse_balances(raw, raw_fields=self._profile.raw_fields)
        )

    def _venue_id(self, client_order_id: str) -> str:
        venue_id = self._profile.venue_client_id(client_order_id)
        self._canonical[venue_id] = client_order_id
        return venue_id

    async def fetch_order(self, symbol: str, client_order_id: str) -> VenueOrder | None:
        """The order placed with ``client_order_id``, or None if the venue has none.

        A scan reads at most ``profile.scan_limit`` open and recent orders of the symbol: an
        order older than that window is reported as not found.
        """
        venue_id = self._venue_id(client_order_id)
        for request in self._profile.find(symbol, venue_id):
            try:
                raw = await self._send(request)
            except OrderNotFound:
                continue
            if isinstance(raw, list):
                raw = _latest_of(o for o in raw if _client_id_of(o) == venue_id)
                if raw is None:
                    continue
            elif raw is None:
                continue
            # A venue without the pair in its loaded markets leaves the symbol out.
            return self._order(raw, client_order_id, {"symbol": symbol})
        return None

    async def open_orders(self, symbol: str | None = None) -> list[VenueOrder]:
        limit, costs = self._profile.open_orders_limit, self._profile.costs
        weight = costs.open_orders
        if symbol is None and costs.open_orders_all_symbols is not None:
            weight = costs.open_orders_all_symbols
        raw = await self._retrying(weight, "fetch_open_orders", symbol, None, limit)
        orders = []
        for listed in raw:
            try:
                orders.append(self._order(listed, ""))
            except MalformedResponse:
                if not isinstance(listed, Mapping) or self._is_ours(listed):
                    raise
                # Someone else's order on the account (placed by hand, of a kind we do not
                # parse) must not stop reconciling ours.
                log.warning("open order not ours skipped", venue=self._venue, id=listed.get("id"))
        return orders

    async def trades(self, symbol: str, since: datetime | None = None) -> list[VenueTrade]:
        since_ms = int(since.timestamp() * 1000) if since is not None else None
        request = self._profile.trades(symbol, since_ms)
        if request.args[0] is None:
            raw = await self._every_pair_history(symbol, since_ms, request)
        else:
            raw = await self._history(symbol, since_ms, request)
        trades = self._parse(
            "trades",
            lambda: [
                parse_trade(
                    t,
                    client_order_id=self._client_ids.get(str(t.get("order"))),
                    raw_fields=self._profile.raw_fields,
                )
                for t in raw
            ],
        )
        # A history of every pair (Kraken's has no pair filter): keep the symbol's own.
        trades = [t for t in trades if t.symbol == symbol]
        if since is not None:
            trades = [t for t in trades if t.executed_at >= since]
        unique = {t.trade_id: t for t in trades}
        return sorted(unique.values(), key=lambda t: (t.executed_at, t.trade_id))

    async def _every_pair_history(
        self, symbol: str, since_ms: int | None, request: Request
    ) -> list[Any]:
        """One read of a venue's every-pair history shared by the calls made meanwhile:
        reconcile asks per symbol, all at once, and each read costs the venue's budget."""
        reading = self._histories.get(since_ms)
        if reading is None:
            reading = asyncio.ensure_future(self._history(symbol, since_ms, request))
            self._histories[since_ms] = reading
            reading.add_done_callback(lambda _: self._histories.pop(since_ms, None))
        return await asyncio.shield(reading)

    async def _history(self, symbol: str, since_ms: int | None, request: Request) -> list[Any]:
        """Every page of the trade history from ``request`` on, as the profile pages it."""
        page = await self._send(request)
        raw: list[Any] = list(page)
        for _ in range(MAX_TRADE_PAGES):
            following = self._profile.next_trades(TradePage(symbol, since_ms, page, request))
            if following is None:
                break
            request = following
            page = await self._send(request)
            raw += page
        else:
            # Fills beyond the cap are not read: an operator must know the ledger may lack
            # some (a later ``since`` reads them).
            log.warning(
                "trade history cut at the page cap",
                venue=self._venue,
                symbol=symbol,
                pages=MAX_TRADE_PAGES + 1,
                trades=len(raw),
            )
        return raw

    # ---------------------------------------------------------------- writes

    async def place_limit_order(self, order: LimitOrder) -> VenueOrder:
        request = self._profile.place(
            order.symbol,
            order.side,
            plain(order.amount),
            plain(order.price),
            self._venue_id(order.client_order_id),
            post_only=order.post_only,
        )
        # Venues that acknowledge a placement with ids only: the order is what we asked for.
        asked = {
            "symbol": order.symbol,
            "side": order.side,
            "amount": order.amount,
            "price": order.price,
        }
        last: RetryableVenueError | None = None
        for attempt in range(1, self._max_attempts + 1):
            if attempt > 1:
                # The failed attempt may have reached the venue: never place twice.
                existing = await self.fetch_order(order.symbol, order.client_order_id)
                if existing is not None:
                    return existing
            try:
                raw = await self._call(request.weight, request.method, *request.args, order=True)
                return self._order(raw, order.client_order_id, asked)
            except DuplicateClientOrderId:
                existing = await self.fetch_order(order.symbol, order.client_order_id)
                if existing is not None:
                    return existing
                raise
            except (InvalidOrder, InsufficientFunds, AuthenticationFailed):
                # The venue said why it refused: nothing was placed.
                raise
            except FinalVenueError:
                # An error the venue's words and ccxt's classes do not explain (a 5xx with an
                # unmapped body): the order may exist. Look once; only then is it refused.
                existing = await self.fetch_order(order.symbol, order.client_order_id)
                if existing is not None:
                    return existing
                raise
            except RetryableVenueError as error:
                last = error
                if attempt < self._max_attempts:
                    await self._backoff(error, attempt)
        assert last is not None
        try:
            existing = await self.fetch_order(order.symbol, order.client_order_id)
        except VenueError:
            existing = None
        if existing is not None:
            return existing
        raise last

    async def cancel_order(self, symbol: str, client_order_id: str) -> VenueOrder:
        """Cancel, and report the order as the venue now has it (filled part included)."""
        venue_id = self._venue_id(client_order_id)
        request = self._profile.cancel(symbol, venue_id, None)
        if request is None:
            # The venue cancels by its own id only: find the order first.
            found = await self.fetch_order(symbol, client_order_id)
            if found is None:
                raise OrderNotFound(f"{self._venue}: no order {client_order_id}")
            if found.is_final:
                return found
            request = self._profile.cancel(symbol, venue_id, found.venue_order_id)
            assert request is not None
        try:
            raw = await self._send(request)
        except (OrderNotFound, InvalidOrder) as refused:
            # Canceling twice, or after a fill, is not an error: report the final order (some
            # venues refuse the cancel of a filled order as a bad request).
            existing = await self.fetch_order(symbol, client_order_id)
            if existing is not None and existing.is_final:
                return existing
            if existing is not None and isinstance(refused, InvalidOrder):
                # Refused while still open (a cancel already queued on Coinbase): the order
                # must still be cancelled, so the caller retries rather than gives up.
                raise VenueUnavailable(
                    f"{self._venue}: cancel of open order {client_order_id} refused: {refused}"
                ) from refused
            raise
        if self._profile.cancel_reports_order:
            return self._order(raw, client_order_id)
        # The acknowledgement carries ids only: read the order for its status and fills.
        after = await self.fetch_order(symbol, client_order_id)
        if after is None:
            raise MalformedResponse(f"{self._venue}: cancelled order {client_order_id} not found")
        return after

    def _parse(self, what: str, build: Callable[[], T]) -> T:
        """Parse a response; missing or garbage fields become MalformedResponse (retryable)."""
        try:
            return build()
        except (ValueError, TypeError, LookupError, AttributeError, ArithmeticError) as error:
            raise MalformedResponse(f"{self._venue} sent a malformed {what}: {error}") from None

    def _order(
        self, raw: Any, client_order_id: str, asked: Mapping[str, Any] | None = None
    ) -> VenueOrder:
        return self._parse(
            "order",
            lambda: self._remember(
                parse_order(
                    raw,
                    client_order_id=client_order_id,
                    asked=asked,
                    raw_fields=self._profile.raw_fields,
                )
            ),
        )

    def _is_ours(self, listed: Any) -> bool:
        client_id = _client_id_of(listed)
        return client_id is not None and (
            client_id in self._canonical or client_id.startswith(CLIENT_ID_PREFIX)
        )

    def _remember(self, order: VenueOrder) -> VenueOrder:
        canonical = self._canonical.get(order.client_order_id)
        if canonical is not None and canonical != order.client_order_id:
            order = order.model_copy(update={"client_order_id": canonical})
        if order.client_order_id:
            self._client_ids[order.venue_order_id] = order.client_order_id
        return order

    async def close(self) -> None:
        exchange, self._exchange = self._exchange, None
        if exchange is not None:
            await exchange.close()  # leaves the shared session open: ccxt does not own it
            if self._venue_state is not None:
                await self._venue_state.release_session()

    async def __aenter__(self) -> CcxtGateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _client_id_of(order: Any) -> str | None:
    """The client id a ccxt order carries (unified field, else the raw one)."""
    if not isinstance(order, Mapping):
        return None
    info = order.get("info") or {}
    value = order.get("clientOrderId") or (
        info.get("origClientOrderId") if isinstance(info, Mapping) else None
    )
    return str(value) if value else None


def _latest_of(orders: Iterable[Any]) -> Any:
    """The order to track among those carrying one client id: an open one, else the newest
    (ccxt lists oldest first). Two can exist only if a venue accepted the id twice."""
    matching = list(orders)
    if not matching:
        return None
    live = [o for o in matching if str(o.get("status")) in ("open", "canceling")]
    return (live or matching)[-1]
