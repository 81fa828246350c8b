"""Admin endpoints outside the Binance dialect, for the demo and the chaos tests.

Only loopback clients are served, and only with ``Authorization: Bearer <admin token>``
(see rebalancer.paper.admin_token), a Host header naming a loopback address or the bound
host, and ``Content-Type: application/json`` on a POST. Being on loopback is not enough: any
web page the user has open can send a "simple" text/plain POST to 127.0.0.1, and a page
behind a rebound DNS name can even read the answers. JSON in, JSON out; a refused request
gets a 4xx with ``{"error": "<field>: <rule>"}``.

    GET  /admin/health                          liveness, scenario, seed, clocks
    GET  /admin/market                          mid, volatility, best bid/ask per symbol
    GET  /admin/accounts                        every account with its balances
    POST /admin/accounts                        add one: {"api_key", "api_secret",
                                                "account_id"?, "balances"?, fees?}
    GET  /admin/accounts/{name}/balances        free/locked per asset
    GET  /admin/accounts/{name}/orders[?symbol] every order the venue ever accepted
    GET  /admin/accounts/{name}/trades?symbol   every fill
    GET  /admin/faults                          faults and rate limits in force
    POST /admin/faults                          change them (see FAULT_FIELDS, LIMIT_FIELDS)

``{name}`` is an account id or its API key.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.numbers import plain
from rebalancer.domain.snapshot_json import describe
from rebalancer.domain.text_files import parse_json
from rebalancer.paper.account_specs import AccountSpec
from rebalancer.paper.admin_token import HEADER, SCHEME
from rebalancer.paper.faults import AMBIGUOUS_MODES
from rebalancer.paper.orders import OrderRejected, PaperOrder
from rebalancer.paper.server.dialect import millis
from rebalancer.paper.server.state import VenueServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ADMIN_SERVER: web.AppKey[VenueServer] = web.AppKey("paper_venue_admin", VenueServer)

FAULT_FIELDS = {
    "latency_ms": float,
    "latency_jitter_ms": float,
    "ambiguous_probability": float,
    "ambiguous_mode": str,
    "error_probability": float,
    "maintenance_every_seconds": float,
    "maintenance_duration_seconds": float,
}
LIMIT_FIELDS = {
    "weight_limit": int,
    "weight_window": int,
    "orders_limit": int,
    "ban_after": int,
    "ban_seconds": float,
}
ACTION_FIELDS = {
    "maintenance": bool,
    "maintenance_seconds": float,
    "ambiguous_next_orders": int,
    "reset_limits": bool,
}
# Every numeric setting lies in [0, MAX_SETTING]: 1e9 (31 years of seconds, a billion orders)
# is far past any real setting, and the bound keeps floats finite and datetimes in range.
# Latency has a tighter one: over a minute per request only hangs the venue's own clients.
MAX_SETTING = Decimal(10**9)
MAX_LATENCY_MS = Decimal(60_000)


class AdminError(Exception):
    def __init__(
        self, field: str, rule: str, status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{field}: {rule}")
        self.status = status
        self.headers = headers


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        # allow_nan=False: a NaN would reach the client as invalid JSON; better a loud 500.
        text=json.dumps(data, separators=(",", ":"), allow_nan=False),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _loopback(remote: str | None) -> bool:
    if remote is None:
        return False
    try:
        return ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


def _host_name(host: str) -> str:
    """The name or address in a Host header, without its port."""
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    name, _, _ = host.partition(":") if host.count(":") == 1 else (host, "", "")
    return name.rstrip(".").lower()


def host_allowed(host: str | None, bound: str) -> bool:
    """Loopback names and addresses, or the address the venue was told to listen on.

    A DNS-rebinding page reaches 127.0.0.1 under its own name, which it cannot make
    ``localhost`` or an IP literal: refusing every other name is what stops it.
    """
    if not host:
        return False
    name = _host_name(host)
    if name == "localhost" or _loopback(name):
        return True
    wildcard = bound in ("", "0.0.0.0", "::")
    return not wildcard and name == _host_name(bound)


def check_request(request: web.Request, token: str, bound_host: str) -> None:
    """Refuse an admin request that a web page, rather than the venue's user, could send."""
    if not host_allowed(request.headers.get("Host"), bound_host):
        raise AdminError("Host", "must be a loopback address or the venue's own host", 403)
    scheme, _, given = request.headers.get(HEADER, "").partition(" ")
    expected = token.encode()
    # Constant time: the token must not leak a byte at a time through response timing.
    if scheme.lower() != SCHEME.lower() or not hmac.compare_digest(
        given.strip().encode("utf-8", "surrogateescape"), expected
    ):
        raise AdminError(
            HEADER, f"{SCHEME} <admin token> is missing or wrong", 401, {"WWW-Authenticate": SCHEME}
        )
    # text/plain and form posts are what a browser sends cross-site without asking first.
    if request.method == "POST" and request.content_type != "application/json":
        raise AdminError("Content-Type", "must be application/json", 415)


@web.middleware
async def admin_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/admin/"):
        return await handler(request)
    if not _loopback(request.remote):
        return _json({"error": "admin endpoints serve loopback clients only"}, 403)
    server: VenueServer = request.app[ADMIN_SERVER]
    try:
        check_request(request, server.admin_token, server.settings.host)
        return await handler(request)
    except AdminError as error:
        return _json({"error": str(error)}, error.status, error.headers)
    except web.HTTPException as error:
        if not 400 <= error.status < 500:
            raise
        # 404/405/413 from aiohttp, in the same JSON shape as every other refusal.
        return _json({"error": f"request: {error.reason}"}, error.status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        text = (await request.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise AdminError("body", "not UTF-8") from None
    try:
        data = parse_json(text or "{}", "body")
    except InvalidInput as refused:
        raise AdminError(refused.field, refused.rule) from None
    if not isinstance(data, dict):
        raise AdminError("body", "must be a JSON object")
    return data


def order_json(order: PaperOrder) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "price": plain(order.price) if order.price is not None else None,
        "quantity": plain(order.quantity),
        "filled": plain(order.executed_quantity),
        "status": order.status,
        "queue_ahead": plain(order.queue_ahead),
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat() if order.updated_at else None,
    }


class AdminApi:
    def __init__(self, server: VenueServer) -> None:
        self.server = server
        self.venue = server.venue

    def _account(self, request: web.Request) -> str:
        name = request.match_info["name"]
        account_id = self.server.account_id(name)
        if account_id is None:
            raise AdminError("account", f"no account or API key {name!r}", 404)
        return account_id

    def _balances(self, account_id: str) -> dict[str, dict[str, str]]:
        balances = self.venue.balances(account_id, self.server.now())
        return {a: {"free": plain(b.free), "locked": plain(b.locked)} for a, b in balances.items()}

    async def health(self, request: web.Request) -> web.Response:
        server = self.server
        now = server.now()
        return _json(
            {
                "status": "maintenance" if server.faults.in_maintenance(now) else "ok",
                "time": now.isoformat(),
                "market_time": server.market_clock(now).isoformat(),
                "speed": server.settings.speed,
                "scenario": server.scenario.name,
                "seed": server.settings.seed,
                "symbols": self.venue.symbols,
                "accounts": len(self.venue.account_ids),
            }
        )

    async def market(self, request: web.Request) -> web.Response:
        now = self.server.now()
        rows = {}
        for symbol in self.venue.symbols:
            state = self.venue.state(symbol, now)
            book = self.venue.book(symbol, now, 1)
            rows[symbol] = {
                "market_time": state.at.isoformat(),
                "mid": plain(state.mid),
                "volatility": plain(self.venue.engine(symbol).model.volatility(state.at)),
                "best_bid": plain(book.bids[0].price),
                "best_ask": plain(book.asks[0].price),
                "resting_orders": self.venue.engine(symbol).resting,
            }
        return _json({"time": now.isoformat(), "markets": rows})

    async def accounts(self, request: web.Request) -> web.Response:
        return _json(
            {
                "accounts": [
                    {
                        "account_id": account_id,
                        "api_key": self.server.api_key_of(account_id),
                        "balances": self._balances(account_id),
                    }
                    for account_id in self.venue.account_ids
                ]
            }
        )

    async def add_account(self, request: web.Request) -> web.Response:
        try:
            spec = AccountSpec.model_validate(await _body(request))
        except ValidationError as error:
            problem = describe(error)
            raise AdminError(problem.field, problem.rule) from None
        if spec.api_key in self.server.credentials or self.venue.has_account(spec.id):
            raise AdminError("api_key", f"account {spec.id!r} already exists", 409)
        self.server.add_account(spec)
        return _json({"account_id": spec.id, "balances": self._balances(spec.id)}, 201)

    async def balances(self, request: web.Request) -> web.Response:
        account_id = self._account(request)
        return _json({"account_id": account_id, "balances": self._balances(account_id)})

    async def orders(self, request: web.Request) -> web.Response:
        account_id = self._account(request)
        symbol = request.query.get("symbol")
        self.venue.advance(self.server.now())
        try:
            orders = self.venue.orders(account_id, symbol)
        except OrderRejected as error:
            raise AdminError("symbol", error.message) from None
        return _json({"account_id": account_id, "orders": [order_json(o) for o in orders]})

    async def trades(self, request: web.Request) -> web.Response:
        account_id = self._account(request)
        symbol = request.query.get("symbol")
        self.venue.advance(self.server.now())
        symbols = [symbol] if symbol else self.venue.symbols
        rows = []
        try:
            for name in symbols:
                for fill in self.venue.trades(account_id, name, limit=10**9):
                    rows.append(
                        {
                            "trade_id": fill.trade_id,
                            "order_id": fill.order_id,
                            "client_order_id": fill.client_order_id,
                            "symbol": fill.symbol,
                            "side": fill.side,
                            "price": plain(fill.price),
                            "quantity": plain(fill.quantity),
                            "fee": plain(fill.fee),
                            "fee_asset": fill.fee_asset,
                            "liquidity": fill.liquidity,
                            "time": millis(fill.executed_at),
                        }
                    )
        except OrderRejected as error:
            raise AdminError("symbol", error.message) from None
        return _json({"account_id": account_id, "trades": rows})

    def _faults(self) -> dict[str, Any]:
        now = self.server.now()
        return {
            "faults": self.server.faults.describe(now),
            "limits": self.server.limiter.describe(now.timestamp()),
        }

    async def get_faults(self, request: web.Request) -> web.Response:
        return _json(self._faults())

    async def set_faults(self, request: web.Request) -> web.Response:
        body = await _body(request)
        known = FAULT_FIELDS | LIMIT_FIELDS | ACTION_FIELDS
        values: dict[str, Any] = {}
        for key, raw in body.items():
            kind = known.get(key)
            if kind is None:
                raise AdminError(key, f"unknown setting; known: {sorted(known)}")
            values[key] = _coerce(key, raw, kind)
        if "ambiguous_mode" in values and values["ambiguous_mode"] not in AMBIGUOUS_MODES:
            raise AdminError("ambiguous_mode", f"must be one of {list(AMBIGUOUS_MODES)}")
        server, now = self.server, self.server.now()
        try:
            changes = {k: v for k, v in values.items() if k in FAULT_FIELDS}
            if changes:
                server.faults.update(**changes)
            limits = {k: v for k, v in values.items() if k in LIMIT_FIELDS}
            if limits:
                server.limiter.configure(**limits)
        except ValueError as error:
            raise AdminError("faults", str(error)) from None
        if values.get("reset_limits"):
            server.limiter.reset()
        if "maintenance" in values:
            server.faults.set_maintenance(
                values["maintenance"], now, values.get("maintenance_seconds")
            )
        if "ambiguous_next_orders" in values:
            if values["ambiguous_next_orders"] < 0:
                raise AdminError("ambiguous_next_orders", "must not be negative")
            server.faults.arm_ambiguous(
                values["ambiguous_next_orders"],
                values.get("ambiguous_mode", server.faults.settings.ambiguous_mode),
            )
        return _json(self._faults())


def _coerce(key: str, raw: Any, kind: type) -> Any:
    if kind is bool:
        if not isinstance(raw, bool):
            raise AdminError(key, "must be true or false")
        return raw
    if kind is str:
        if not isinstance(raw, str):
            raise AdminError(key, "must be a string")
        return raw
    if isinstance(raw, bool) or not isinstance(raw, int | Decimal | str):
        raise AdminError(key, "must be a number")
    try:
        value = Decimal(raw) if isinstance(raw, int | Decimal) else Decimal(raw.strip())
    except (ArithmeticError, ValueError):
        raise AdminError(key, "must be a number") from None
    # "NaN" passes Decimal() and every comparison, and came back as invalid JSON.
    highest = MAX_LATENCY_MS if key.startswith("latency") else MAX_SETTING
    if not value.is_finite() or not 0 <= value <= highest:
        raise AdminError(key, f"must be a number from 0 to {highest}")
    if kind is int:
        if value != value.to_integral_value():
            raise AdminError(key, "must be a whole number")
        return int(value)
    return float(value)


def add_admin_routes(app: web.Application, server: VenueServer) -> None:
    app[ADMIN_SERVER] = server
    app.middlewares.append(admin_middleware)
    api = AdminApi(server)
    routes = app.router
    routes.add_get("/admin/health", api.health)
    routes.add_get("/admin/market", api.market)
    routes.add_get("/admin/accounts", api.accounts)
    routes.add_post("/admin/accounts", api.add_account)
    routes.add_get("/admin/accounts/{name}/balances", api.balances)
    routes.add_get("/admin/accounts/{name}/orders", api.orders)
    routes.add_get("/admin/accounts/{name}/trades", api.trades)
    routes.add_get("/admin/faults", api.get_faults)
    routes.add_post("/admin/faults", api.set_faults)
