"""The Binance dialect, in process: signing, weights, 429/418, faults and the admin API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from rebalancer.paper.account_specs import AccountSpec
from rebalancer.paper.server.admin import _loopback
from rebalancer.paper.server.app import create_app
from rebalancer.paper.server.signing import sign
from rebalancer.paper.server.state import ServerSettings, VenueServer

KEY, SECRET = "key-1", "secret-1"

# A good-till-canceled limit buy of 0.01 BTC at 1000 USDT.
LIMIT_BUY = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.01",
    "price": "1000.00",
}


class Clock:
    """Wall time frozen 10 s into a minute, so a test never straddles a rate-limit window."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 12, 0, 10, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def venue_server(clock: Clock) -> VenueServer:
    spec = AccountSpec(
        api_key=KEY,
        api_secret=SECRET,  # type: ignore[arg-type]
        account_id="acct",
        balances={"USDT": Decimal("100000"), "BTC": Decimal("2")},
    )
    return VenueServer(ServerSettings(seed=5, accounts=[spec]), clock=clock)


@pytest.fixture
async def client(venue_server: VenueServer) -> AsyncIterator[TestClient[Any, Any]]:
    headers = {"Authorization": f"Bearer {venue_server.admin_token}"}
    async with TestClient(TestServer(create_app(venue_server)), headers=headers) as test_client:
        yield test_client


Call = Callable[..., Any]


def signed_query(clock: Clock, params: dict[str, Any], secret: str = SECRET, **extra: Any) -> str:
    values = {**params, "timestamp": int(clock.now.timestamp() * 1000), **extra}
    query = urlencode(values)
    return f"{query}&signature={sign(secret, query)}"


async def call(
    client: TestClient[Any, Any],
    clock: Clock,
    method: str,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    key: str | None = KEY,
    secret: str = SECRET,
    signed: bool = True,
    **extra: Any,
) -> tuple[int, Any, Any]:
    params = params or {}
    headers = {"X-MBX-APIKEY": key} if key else {}
    query = signed_query(clock, params, secret, **extra) if signed else urlencode(params)
    if method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = await client.request(method, path, data=query, headers=headers)
    else:
        response = await client.request(method, f"{path}?{query}", headers=headers)
    return response.status, await response.json(), response.headers


async def test_exchange_info_declares_filters_and_limits(
    client: TestClient[Any, Any], clock: Clock
) -> None:
    status, body, _ = await call(client, clock, "GET", "/api/v3/exchangeInfo", signed=False)
    assert status == 200
    btc = next(s for s in body["symbols"] if s["symbol"] == "BTCUSDT")
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01000000"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00001000"
    assert filters["NOTIONAL"]["minNotional"] == "5.00000000"
    link = next(s for s in body["symbols"] if s["symbol"] == "LINKUSDT")
    assert {f["filterType"]: f for f in link["filters"]}["PRICE_FILTER"]["tickSize"] == "0.00100000"
    kinds = {
        (r["rateLimitType"], r["interval"], r["intervalNum"]): r["limit"]
        for r in body["rateLimits"]
    }
    assert kinds[("REQUEST_WEIGHT", "MINUTE", 1)] == 6000
    assert kinds[("ORDERS", "SECOND", 10)] == 100


async def test_bad_credentials_get_binance_error_codes(
    client: TestClient[Any, Any], clock: Clock
) -> None:
    cases = [
        ({"key": None}, 401, -2014),
        ({"key": "nobody"}, 401, -2015),
        ({"secret": "wrong"}, 400, -1022),
        ({"recvWindow": 70000}, 400, -1131),
    ]
    for extra, status, code in cases:
        got_status, body, _ = await call(client, clock, "GET", "/api/v3/account", **extra)
        assert (got_status, body["code"]) == (status, code), extra
    stale = {"timestamp": int((clock.now - timedelta(seconds=30)).timestamp() * 1000)}
    status, body, _ = await call(client, clock, "GET", "/api/v3/account", **stale)
    assert (status, body["code"]) == (400, -1021)
    ahead = {"timestamp": int((clock.now + timedelta(seconds=5)).timestamp() * 1000)}
    status, body, _ = await call(client, clock, "GET", "/api/v3/account", **ahead)
    assert (status, body["code"]) == (400, -1021)
    status, body, _ = await call(client, clock, "GET", "/api/v3/account")
    assert status == 200
    assert body["accountType"] == "SPOT"


async def test_an_order_round_trip_in_the_dialect(
    client: TestClient[Any, Any], clock: Clock
) -> None:
    _, book, _ = await call(
        client, clock, "GET", "/api/v3/depth", {"symbol": "BTCUSDT", "limit": 5}, signed=False
    )
    bid = book["bids"][2][0]
    order = {**LIMIT_BUY, "price": bid, "newClientOrderId": "round-1"}
    status, placed, headers = await call(client, clock, "POST", "/api/v3/order", order)
    assert status == 200
    assert placed["status"] == "NEW"
    assert placed["fills"] == []
    assert headers["X-MBX-ORDER-COUNT-10S"] == "1"
    status, again, _ = await call(client, clock, "POST", "/api/v3/order", order)
    assert (status, again["code"], again["msg"]) == (400, -2010, "Duplicate order sent.")
    status, fetched, _ = await call(
        client, clock, "GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "round-1"}
    )
    assert status == 200
    assert fetched["orderId"] == placed["orderId"]
    _, account, _ = await call(client, clock, "GET", "/api/v3/account")
    usdt = next(b for b in account["balances"] if b["asset"] == "USDT")
    assert Decimal(usdt["locked"]) == Decimal(bid) * Decimal("0.01")
    status, canceled, _ = await call(
        client,
        clock,
        "DELETE",
        "/api/v3/order",
        {"symbol": "BTCUSDT", "origClientOrderId": "round-1"},
    )
    assert status == 200
    assert canceled["status"] == "CANCELED"
    assert canceled["origClientOrderId"] == "round-1"
    status, missing, _ = await call(
        client, clock, "DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 999}
    )
    assert (status, missing["code"]) == (400, -2011)
    status, missing, _ = await call(
        client, clock, "GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 999}
    )
    assert (status, missing["code"]) == (400, -2013)

    taker = {**order, "newClientOrderId": "round-2", "price": book["asks"][1][0], "quantity": "0.5"}
    status, filled, _ = await call(client, clock, "POST", "/api/v3/order", taker)
    assert status == 200
    assert filled["fills"]
    status, trades, _ = await call(client, clock, "GET", "/api/v3/myTrades", {"symbol": "BTCUSDT"})
    assert [t["id"] for t in trades] == [f["tradeId"] for f in filled["fills"]]
    assert all(t["isBuyer"] and not t["isMaker"] for t in trades)


async def test_weights_follow_binance(client: TestClient[Any, Any], clock: Clock) -> None:
    used = []
    for limit in (100, 500, 1000):
        _, _, headers = await call(
            client,
            clock,
            "GET",
            "/api/v3/depth",
            {"symbol": "BTCUSDT", "limit": limit},
            signed=False,
        )
        used.append(int(headers["X-MBX-USED-WEIGHT-1M"]))
    assert [used[0], used[1] - used[0], used[2] - used[1]] == [5, 25, 50]


async def test_too_much_weight_gets_429_then_418(
    client: TestClient[Any, Any], clock: Clock, venue_server: VenueServer
) -> None:
    venue_server.limiter.configure(weight_limit=12, ban_after=2, ban_seconds=30)
    depth = {"symbol": "BTCUSDT", "limit": 5}

    async def status_of_depth() -> tuple[int, Any, Any]:
        return await call(client, clock, "GET", "/api/v3/depth", depth, signed=False)

    statuses = [(await status_of_depth())[0] for _ in range(4)]
    # The fourth came at the same moment as the third: in flight together, not abuse.
    assert statuses == [200, 200, 429, 429]
    _, body, headers = await status_of_depth()
    assert body["code"] == -1003
    assert headers["Retry-After"] == "50"
    ignored = []
    for _ in range(3):
        clock.now += timedelta(seconds=2)  # long after hearing Retry-After, still not waiting
        status, body, headers = await status_of_depth()
        ignored.append(status)
    assert ignored == [429, 429, 418]
    assert headers["Retry-After"] == "30"
    assert "banned until" in body["msg"]
    clock.now += timedelta(seconds=29)
    assert (await status_of_depth())[0] == 418
    # The ban is over and a new minute has begun.
    clock.now += timedelta(seconds=40)
    assert (await status_of_depth())[0] == 200


async def test_too_many_orders_get_429(
    client: TestClient[Any, Any], clock: Clock, venue_server: VenueServer
) -> None:
    venue_server.limiter.configure(orders_limit=2)
    results = [
        await call(
            client, clock, "POST", "/api/v3/order", {**LIMIT_BUY, "newClientOrderId": f"o{i}"}
        )
        for i in range(3)
    ]
    assert [r[0] for r in results] == [200, 200, 429]
    assert results[2][1]["code"] == -1015
    assert results[2][2]["Retry-After"] == "10"


async def test_maintenance_answers_503(
    client: TestClient[Any, Any], clock: Clock, venue_server: VenueServer
) -> None:
    venue_server.faults.set_maintenance(True, clock.now, 20)
    status, body, _ = await call(client, clock, "GET", "/api/v3/time", signed=False)
    assert (status, body["msg"]) == (503, "System is under maintenance.")
    health = await (await client.get("/admin/health")).json()
    assert health["status"] == "maintenance"
    clock.now += timedelta(seconds=21)
    status, _, _ = await call(client, clock, "GET", "/api/v3/time", signed=False)
    assert status == 200


async def test_an_ambiguous_fault_loses_the_response_not_the_order(
    client: TestClient[Any, Any], clock: Clock
) -> None:
    response = await client.post(
        "/admin/faults", json={"ambiguous_next_orders": 1, "ambiguous_mode": "error"}
    )
    assert response.status == 200
    status, body, _ = await call(
        client, clock, "POST", "/api/v3/order", {**LIMIT_BUY, "newClientOrderId": "amb-1"}
    )
    assert (status, body["code"]) == (504, -1007)
    await client.post("/admin/faults", json={"ambiguous_next_orders": 1, "ambiguous_mode": "drop"})
    with pytest.raises(aiohttp.ClientError):
        await call(
            client, clock, "POST", "/api/v3/order", {**LIMIT_BUY, "newClientOrderId": "amb-2"}
        )
    orders = (await (await client.get("/admin/accounts/key-1/orders")).json())["orders"]
    assert [(o["client_order_id"], o["status"]) for o in orders] == [
        ("amb-1", "new"),
        ("amb-2", "new"),
    ]


async def test_error_probability_fails_signed_requests_before_they_act(
    client: TestClient[Any, Any], clock: Clock, venue_server: VenueServer
) -> None:
    venue_server.faults.update(error_probability=1.0)
    status, body, _ = await call(client, clock, "GET", "/api/v3/account")
    assert (status, body["code"]) == (500, -1001)


async def test_latency_is_added(
    client: TestClient[Any, Any],
    clock: Clock,
    venue_server: VenueServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def record(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr("rebalancer.paper.server.app.asyncio.sleep", record)
    venue_server.faults.update(latency_ms=40, latency_jitter_ms=0)
    await call(client, clock, "GET", "/api/v3/time", signed=False)
    assert slept == [0.04]


async def test_admin_accounts_and_faults(client: TestClient[Any, Any]) -> None:
    new = {"api_key": "k2", "api_secret": "s2", "account_id": "second", "balances": {"USDT": "50"}}
    response = await client.post("/admin/accounts", json=new)
    assert response.status == 201
    assert (await response.json())["balances"] == {"USDT": {"free": "50", "locked": "0"}}
    assert (await client.post("/admin/accounts", json=new)).status == 409
    bad = await client.post(
        "/admin/accounts", json={**new, "api_key": "k3", "balances": {"USDT": "-1"}}
    )
    assert bad.status == 400
    assert "balances.USDT" in (await bad.json())["error"]
    balances = await (await client.get("/admin/accounts/k2/balances")).json()
    assert balances["account_id"] == "second"
    assert (await client.get("/admin/accounts/nobody/balances")).status == 404
    listed = await (await client.get("/admin/accounts")).json()
    assert {a["account_id"] for a in listed["accounts"]} == {"acct", "second"}
    unknown = await client.post("/admin/faults", json={"latency": 5})
    assert unknown.status == 400
    assert (await unknown.json())["error"].startswith("latency:")
    wrong = await client.post("/admin/faults", json={"ambiguous_probability": 2})
    assert wrong.status == 400
    changed = await (
        await client.post("/admin/faults", json={"weight_limit": 77, "latency_ms": 0})
    ).json()
    assert changed["limits"]["weight_limit"] == 77
    market = await (await client.get("/admin/market")).json()
    assert set(market["markets"]) == {"BTC/USDT", "ETH/USDT", "LINK/USDT"}


def test_admin_serves_loopback_only() -> None:
    assert _loopback("127.0.0.1")
    assert _loopback("::1")
    assert _loopback("127.8.0.1")
    assert not _loopback("10.0.0.1")
    assert not _loopback(None)
    assert not _loopback("nonsense")


def test_server_state_never_shows_a_secret(venue_server: VenueServer) -> None:
    assert SECRET not in repr(venue_server.credentials)
    assert SECRET not in repr(venue_server.settings)
