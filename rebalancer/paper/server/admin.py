"""Admin endpoints outside the Binance dialect, for the demo and the chaos tests.

No signing; only loopback clients are served. JSON in, JSON out; a refused request gets
400 with ``{"error": "<field>: <rule>"}``.

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

import ipaddress
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import ValidationError

from rebalancer.domain.numbers import plain
from rebalancer.domain.snapshot_json import describe
from rebalancer.paper.account_specs import AccountSpec
from rebalancer.paper.faults import AMBIGUOUS_MODES
from rebalancer.paper.orders import OrderRejected, PaperOrder
from rebalancer.paper.server.dialect import millis

if TYPE_CHECKING:
    from rebalancer.paper.server.state import VenueServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

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


class AdminError(Exception):
    def __init__(self, field: str, rule: str, status: int = 400) -> None:
        super().__init__(f"{field}: {rule}")
        self.status = status


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(data, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )


def _loopback(remote: str | None) -> bool:
    if remote is None:
        return False
    try:
        return ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


@web.middleware
async def admin_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/admin/"):
        return await handler(request)
    if not _loopback(request.remote):
        return _json({"error": "admin endpoints serve loopback clients only"}, 403)
    try:
        return await handler(request)
    except AdminError as error:
        return _json({"error": str(error)}, error.status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.text() or "{}", parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise AdminError("body", f"not JSON: {error.msg}") from None
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
        value = Decimal(str(raw))
    except ArithmeticError:
        raise AdminError(key, "must be a number") from None
    if kind is int:
        if value != value.to_integral_value():
            raise AdminError(key, "must be a whole number")
        return int(value)
    return float(value)


def add_admin_routes(app: web.Application, server: VenueServer) -> None:
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
