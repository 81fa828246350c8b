"""The Binance-dialect HTTP server (aiohttp) in front of the in-process paper venue.

Every /api/v3 request passes, in order: injected latency, maintenance, the request-weight
limit, then its handler (signed ones: API key, HMAC signature, timestamp and recvWindow).
The venue advances lazily to the request's time, and a light background task advances every
symbol once per ``tick_seconds`` so resting orders keep filling between requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from aiohttp import web

from rebalancer.paper.day_stats import DayStats, day_stats
from rebalancer.paper.orders import (
    OrderRejected,
    OrderRequest,
    OrderType,
    PaperOrder,
    TimeInForce,
)
from rebalancer.paper.server import dialect
from rebalancer.paper.server.admin import add_admin_routes
from rebalancer.paper.server.dialect import ApiError, from_millis, millis, number
from rebalancer.paper.server.signing import signature_valid, split_signature
from rebalancer.paper.server.state import ServerSettings, VenueServer

SERVER: web.AppKey[VenueServer] = web.AppKey("paper_venue", VenueServer)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ORDER_TYPES: dict[str, OrderType] = {
    "LIMIT": "limit",
    "LIMIT_MAKER": "limit_maker",
    "MARKET": "market",
}
TIME_IN_FORCE: dict[str, TimeInForce] = {"GTC": "GTC", "IOC": "IOC", "FOK": "FOK"}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=json.dumps(data, separators=(",", ":")),
        status=status,
        content_type="application/json",
        headers=headers,
    )


@web.middleware
async def binance_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/api/"):
        return await handler(request)
    server = request.app[SERVER]
    used: int | None = None
    try:
        latency = server.faults.latency_seconds()
        if latency > 0:
            await asyncio.sleep(latency)
        now = server.now()
        if server.faults.in_maintenance(now):
            server.faults.count_maintenance_refusal()
            raise dialect.MAINTENANCE
        raw_query = request.rel_url.raw_query_string
        # Bytes that are not UTF-8 become U+FFFD and fail the parameter's legal range below
        # (and the signature), instead of a UnicodeDecodeError and a 500.
        body = (await request.read()).decode("utf-8", "replace") if request.can_read_body else ""
        params = dict(parse_qsl(raw_query, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        _PARSED.set(_Parsed(params, raw_query, body))
        weight = dialect.request_weight(request.method, request.path, params)
        used = server.limiter.charge_weight(request.remote or "?", weight, now.timestamp())
        response = await handler(request)
    except ApiError as error:
        headers = dict(error.headers)
        if used is not None:
            headers["X-MBX-USED-WEIGHT-1M"] = str(used)
        return _json(error.body(), error.status, headers)
    except web.HTTPException as error:
        if not 400 <= error.status < 500:
            raise
        # aiohttp's own 404/405/413: JSON like every other answer, so clients can parse it.
        return _json({"code": -1000, "msg": error.reason}, error.status)
    response.headers["X-MBX-USED-WEIGHT-1M"] = str(used)
    return response


@dataclass(frozen=True)
class _Parsed:
    params: dict[str, str]
    query: str
    body: str


# The middleware parses each request once; its handler runs in the same task and reads it
# here (a context variable, not request storage: no key type needed across aiohttp versions).
_PARSED: ContextVar[_Parsed] = ContextVar("paper_venue_request")


def _params(request: web.Request) -> dict[str, str]:
    return _PARSED.get().params


class OrderRef(NamedTuple):
    """Whose order a request is about, on which symbol, by which id."""

    account_id: str
    params: dict[str, str]
    symbol: str
    order_id: int | None
    client_id: str | None


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise dialect.mandatory(name)
    return value


def _client_id(params: dict[str, str], name: str) -> str | None:
    value = params.get(name)
    if not value:
        return None
    if not dialect.CLIENT_ID_PARAM.fullmatch(value):
        raise dialect.illegal(name, dialect.CLIENT_ID_PARAM)
    return value


def _decimal(params: dict[str, str], name: str) -> Decimal | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not dialect.DECIMAL_PARAM.fullmatch(value):
        raise dialect.illegal(name)
    return Decimal(value)


def _integer(
    params: dict[str, str], name: str, *, low: int = 0, high: int = 2**63 - 1
) -> int | None:
    """A Binance LONG parameter: digits only (int() would take "+1", " 1" or "1_0")."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not dialect.LONG_PARAM.fullmatch(value):
        raise dialect.illegal(name, dialect.LONG_PARAM)
    number = int(value)
    if not low <= number <= high:
        raise dialect.invalid(name)
    return number


def _millis(params: dict[str, str], name: str) -> datetime | None:
    value = _integer(params, name, high=dialect.LATEST_MILLIS)
    return from_millis(value) if value is not None else None


class BinanceApi:
    def __init__(self, server: VenueServer) -> None:
        self.server = server
        self.venue = server.venue
        self._stats: dict[str, tuple[int, DayStats]] = {}

    # ------------------------------------------------------------- helpers

    def authenticate(self, request: web.Request) -> str:
        """The account of a signed request, or the error Binance would give."""
        params = _params(request)
        key = request.headers.get("X-MBX-APIKEY")
        if not key:
            raise ApiError(401, -2014, "API-key format invalid.")
        credential = self.server.credentials.get(key)
        if credential is None:
            raise dialect.invalid_api_key()
        parsed = _PARSED.get()
        payload, signature = split_signature(parsed.query, parsed.body)
        if not signature:
            raise dialect.mandatory("signature")
        timestamp = _integer(params, "timestamp")
        if timestamp is None:
            raise dialect.mandatory("timestamp")
        recv_window = _integer(params, "recvWindow") or 5000
        if recv_window > 60_000:
            raise ApiError(400, -1131, "recvWindow must be less than 60000")
        if not signature_valid(credential.secret, payload, signature):
            raise ApiError(400, -1022, "Signature for this request is not valid.")
        server_time = millis(self.server.now())
        if timestamp >= server_time + 1000:
            raise ApiError(
                400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."
            )
        if server_time - timestamp > recv_window:
            raise ApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.")
        if self.server.faults.take_error():
            raise dialect.INTERNAL
        return credential.account_id

    def symbol(self, params: dict[str, str]) -> str:
        """The request's `symbol`, which it must send."""
        symbol = self.optional_symbol(params)
        if symbol is None:
            raise dialect.mandatory("symbol")
        return symbol

    def optional_symbol(self, params: dict[str, str]) -> str | None:
        name = params.get("symbol")
        if not name:
            return None
        if not dialect.SYMBOL_PARAM.fullmatch(name):
            raise dialect.illegal("symbol", dialect.SYMBOL_PARAM)
        try:
            return self.venue.symbol(name)
        except OrderRejected as error:
            raise dialect.rejection(error) from None

    def venue_symbol(self, symbol: str) -> str:
        return self.venue.engine(symbol).instrument.venue_symbol

    # -------------------------------------------------------------- public

    async def ping(self, request: web.Request) -> web.Response:
        return _json({})

    async def time(self, request: web.Request) -> web.Response:
        return _json({"serverTime": millis(self.server.now())})

    async def exchange_info(self, request: web.Request) -> web.Response:
        params = _params(request)
        instruments = self.venue.instruments
        wanted: list[str] = []
        if params.get("symbol"):
            if not dialect.SYMBOL_PARAM.fullmatch(params["symbol"]):
                raise dialect.illegal("symbol", dialect.SYMBOL_PARAM)
            wanted = [params["symbol"]]
        elif params.get("symbols"):
            # The legal range first: it admits only a flat list of short strings, so json
            # never meets the deep nesting that made it raise RecursionError.
            if not dialect.SYMBOLS_PARAM.fullmatch(params["symbols"]):
                raise dialect.illegal("symbols", dialect.SYMBOLS_PARAM)
            wanted = json.loads(params["symbols"])
        if wanted:
            for name in wanted:
                if name not in {i.venue_symbol for i in instruments}:
                    raise ApiError(400, -1121, "Invalid symbol.")
            instruments = [i for i in instruments if i.venue_symbol in wanted]
        limiter = self.server.limiter
        return _json(
            dialect.exchange_info(
                instruments,
                self.server.now(),
                weight_limit=limiter.weight_limit,
                weight_window=limiter.weight_window,
                orders_limit=limiter.orders_limit,
            )
        )

    async def depth(self, request: web.Request) -> web.Response:
        params = _params(request)
        symbol = self.symbol(params)
        limit = _integer(params, "limit", low=1) or 100
        book = self.venue.book(symbol, self.server.now(), min(limit, 5000))
        return _json(dialect.depth(book, millis(self.server.now())))

    def _ticker(self, symbol: str) -> dict[str, Any]:
        now = self.server.now()
        book = self.venue.book(symbol, now, 1)
        stats = self._day_stats(symbol, now)
        change = stats.last - stats.open
        return {
            "symbol": self.venue_symbol(symbol),
            "priceChange": number(change),
            "priceChangePercent": format(
                (change / stats.open * 100).quantize(Decimal("0.001")), "f"
            ),
            "weightedAvgPrice": number((stats.high + stats.low + stats.last) / 3),
            "prevClosePrice": number(stats.open),
            "lastPrice": number(stats.last),
            "lastQty": number(Decimal(0)),
            "bidPrice": number(book.bids[0].price),
            "bidQty": number(book.bids[0].quantity),
            "askPrice": number(book.asks[0].price),
            "askQty": number(book.asks[0].quantity),
            "openPrice": number(stats.open),
            "highPrice": number(stats.high),
            "lowPrice": number(stats.low),
            "volume": number(stats.volume),
            "quoteVolume": number(stats.quote_volume),
            "openTime": millis(stats.open_time),
            "closeTime": millis(stats.close_time),
            "firstId": -1,
            "lastId": -1,
            "count": 0,
        }

    def _day_stats(self, symbol: str, now: datetime) -> DayStats:
        # Tickers are polled hard; a 24-hour summary changes little within a market minute.
        engine = self.venue.engine(symbol)
        minute = int(engine.market_time(now).timestamp() // 60)
        cached = self._stats.get(symbol)
        if cached is None or cached[0] != minute:
            cached = self._stats[symbol] = (minute, day_stats(engine, now))
        return cached[1]

    def _symbols(self, params: dict[str, str]) -> tuple[list[str], bool]:
        symbol = self.optional_symbol(params)
        if symbol is not None:
            return [symbol], True
        return self.venue.symbols, False

    async def ticker_24hr(self, request: web.Request) -> web.Response:
        symbols, single = self._symbols(_params(request))
        rows = [self._ticker(s) for s in symbols]
        return _json(rows[0] if single else rows)

    async def ticker_price(self, request: web.Request) -> web.Response:
        symbols, single = self._symbols(_params(request))
        now = self.server.now()
        rows = [
            {"symbol": self.venue_symbol(s), "price": number(self.venue.state(s, now).mid)}
            for s in symbols
        ]
        return _json(rows[0] if single else rows)

    async def book_ticker(self, request: web.Request) -> web.Response:
        symbols, single = self._symbols(_params(request))
        now = self.server.now()
        rows = []
        for s in symbols:
            book = self.venue.book(s, now, 1)
            rows.append(
                {
                    "symbol": self.venue_symbol(s),
                    "bidPrice": number(book.bids[0].price),
                    "bidQty": number(book.bids[0].quantity),
                    "askPrice": number(book.asks[0].price),
                    "askQty": number(book.asks[0].quantity),
                }
            )
        return _json(rows[0] if single else rows)

    async def avg_price(self, request: web.Request) -> web.Response:
        symbol = self.symbol(_params(request))
        mid = self.venue.state(symbol, self.server.now()).mid
        return _json({"mins": 5, "price": number(mid), "closeTime": millis(self.server.now())})

    # -------------------------------------------------------------- orders

    async def new_order(self, request: web.Request) -> web.StreamResponse:
        account_id = self.authenticate(request)
        params = _params(request)
        now = self.server.now()
        count = self.server.limiter.charge_order(account_id, request.remote or "?", now.timestamp())
        symbol = self.symbol(params)
        side = _required(params, "side").upper()
        if side not in ("BUY", "SELL"):
            raise ApiError(400, -1117, "Invalid side.")
        kind = ORDER_TYPES.get(_required(params, "type").upper())
        if kind is None:
            raise ApiError(400, -1116, "Invalid orderType.")
        tif_text = params.get("timeInForce")
        if kind == "limit" and not tif_text:
            raise dialect.mandatory("timeInForce")
        time_in_force = TIME_IN_FORCE.get((tif_text or "GTC").upper())
        if time_in_force is None:
            raise ApiError(400, -1115, "Invalid timeInForce.")
        response_type = params.get("newOrderRespType", "FULL").upper()
        if response_type not in ("ACK", "RESULT", "FULL"):
            raise dialect.illegal("newOrderRespType")
        order_request = OrderRequest(
            symbol=symbol,
            side="buy" if side == "BUY" else "sell",
            type=kind,
            quantity=_decimal(params, "quantity"),
            price=_decimal(params, "price"),
            quote_quantity=_decimal(params, "quoteOrderQty"),
            client_order_id=_client_id(params, "newClientOrderId"),
            time_in_force=time_in_force,
        )
        try:
            order = self.venue.place_order(account_id, order_request, now)
        except OrderRejected as error:
            raise dialect.rejection(error) from None
        fault = self.server.faults.take_ambiguous()
        if fault == "error":
            raise dialect.UNKNOWN_EXECUTION
        if fault == "drop":
            # The order stands, but the client never hears back.
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        payload = dialect.new_order(order, self.venue_symbol(symbol), response_type)
        return _json(payload, headers={"X-MBX-ORDER-COUNT-10S": str(count)})

    def _order_ref(self, request: web.Request) -> OrderRef:
        """A signed request about one order: by venue id or by client id."""
        account_id = self.authenticate(request)
        params = _params(request)
        symbol = self.symbol(params)
        order_id = _integer(params, "orderId")
        client_id = _client_id(params, "origClientOrderId")
        if order_id is None and client_id is None:
            raise ApiError(
                400,
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        return OrderRef(account_id, params, symbol, order_id, client_id)

    def _on_order(
        self, ref: OrderRef, action: Callable[..., PaperOrder], *, querying: bool = False
    ) -> PaperOrder:
        """The venue's `action` on the order `ref` names; its refusal as the API's error."""
        try:
            return action(
                ref.account_id,
                ref.symbol,
                self.server.now(),
                order_id=ref.order_id,
                client_order_id=ref.client_id,
            )
        except OrderRejected as error:
            raise dialect.rejection(error, querying=querying) from None

    async def query_order(self, request: web.Request) -> web.Response:
        ref = self._order_ref(request)
        order = self._on_order(ref, self.venue.order, querying=True)
        return _json(dialect.order(order, self.venue_symbol(ref.symbol)))

    async def cancel_order(self, request: web.Request) -> web.Response:
        ref = self._order_ref(request)
        # Checked before the cancel: a refused request must leave the order alone.
        cancel_id = _client_id(ref.params, "newClientOrderId")
        order = self._on_order(ref, self.venue.cancel_order)
        cancel_id = cancel_id or f"cancel-{order.order_id}"
        return _json(dialect.canceled_order(order, self.venue_symbol(ref.symbol), cancel_id))

    async def cancel_open_orders(self, request: web.Request) -> web.Response:
        account_id = self.authenticate(request)
        params = _params(request)
        symbol = self.symbol(params)
        now = self.server.now()
        rows = []
        for order in self.venue.open_orders(account_id, symbol, now):
            self.venue.cancel_order(account_id, symbol, now, order_id=order.order_id)
            rows.append(
                dialect.canceled_order(order, self.venue_symbol(symbol), f"cancel-{order.order_id}")
            )
        if not rows:
            raise ApiError(400, -2011, "Unknown order sent.")
        return _json(rows)

    async def open_orders(self, request: web.Request) -> web.Response:
        account_id = self.authenticate(request)
        symbol = self.optional_symbol(_params(request))
        orders = self.venue.open_orders(account_id, symbol, self.server.now())
        return _json([dialect.order(o, self.venue_symbol(o.symbol)) for o in orders])

    async def all_orders(self, request: web.Request) -> web.Response:
        account_id = self.authenticate(request)
        params = _params(request)
        symbol = self.symbol(params)
        self.venue.advance(self.server.now(), [symbol])
        limit = min(_integer(params, "limit", low=1) or 500, 1000)
        orders = self.venue.orders(account_id, symbol)[-limit:]
        return _json([dialect.order(o, self.venue_symbol(symbol)) for o in orders])

    async def account(self, request: web.Request) -> web.Response:
        account_id = self.authenticate(request)
        params = _params(request)
        now = self.server.now()
        account = self.venue.account(account_id)
        return _json(
            dialect.account(
                self.venue.balances(account_id, now),
                maker_fee=account.maker_fee,
                taker_fee=account.taker_fee,
                now=now,
                uid=self.server.uid(account_id),
                omit_zero=params.get("omitZeroBalances", "false").lower() == "true",
            )
        )

    async def my_trades(self, request: web.Request) -> web.Response:
        account_id = self.authenticate(request)
        params = _params(request)
        symbol = self.symbol(params)
        self.venue.advance(self.server.now(), [symbol])
        start, end = _millis(params, "startTime"), _millis(params, "endTime")
        fills = self.venue.trades(
            account_id,
            symbol,
            start=start,
            # Binance's endTime includes its whole millisecond.
            end=end + timedelta(microseconds=999) if end is not None else None,
            from_id=_integer(params, "fromId"),
            order_id=_integer(params, "orderId"),
            limit=min(_integer(params, "limit", low=1) or 500, 1000),
        )
        return _json([dialect.trade(f, self.venue_symbol(symbol)) for f in fills])


def create_app(server: VenueServer) -> web.Application:
    app = web.Application(middlewares=[binance_middleware])
    app[SERVER] = server
    api = BinanceApi(server)
    app.add_routes(
        [
            web.get("/api/v3/ping", api.ping),
            web.get("/api/v3/time", api.time),
            web.get("/api/v3/exchangeInfo", api.exchange_info),
            web.get("/api/v3/depth", api.depth),
            web.get("/api/v3/ticker/24hr", api.ticker_24hr),
            web.get("/api/v3/ticker/price", api.ticker_price),
            web.get("/api/v3/ticker/bookTicker", api.book_ticker),
            web.get("/api/v3/avgPrice", api.avg_price),
            web.post("/api/v3/order", api.new_order),
            web.get("/api/v3/order", api.query_order),
            web.delete("/api/v3/order", api.cancel_order),
            web.get("/api/v3/openOrders", api.open_orders),
            web.delete("/api/v3/openOrders", api.cancel_open_orders),
            web.get("/api/v3/allOrders", api.all_orders),
            web.get("/api/v3/account", api.account),
            web.get("/api/v3/myTrades", api.my_trades),
        ]
    )
    add_admin_routes(app, server)
    return app


async def _tick(server: VenueServer) -> None:
    while True:
        await asyncio.sleep(server.settings.tick_seconds)
        server.venue.advance(server.now())


async def serve(
    settings: ServerSettings,
    *,
    stop: asyncio.Event,
    ready: Callable[[str, VenueServer], None] | None = None,
) -> None:
    """Run the server until ``stop`` is set; ``ready`` gets the base URL once it listens."""
    server = VenueServer(settings)
    runner = web.AppRunner(create_app(server), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        if ready is not None:
            ready(f"http://{_url_host(host)}:{port}", server)
        ticker = asyncio.create_task(_tick(server))
        try:
            await stop.wait()
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
    finally:
        await runner.cleanup()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
