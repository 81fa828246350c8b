"""Hostile requests against the paper venue: every one is refused with a 4xx, never a 5xx.

A property-based suite drives the request parsing of every public, signed and admin route
with random, huge, nested, NaN, negative and out-of-range values. A request made malformed on
purpose (one parameter spoiled, the rest valid and correctly signed) must get a 4xx JSON error
that names the spoiled parameter, as Binance's do; any request at all must get an answer
within a bound, and never a 5xx.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from yarl import URL

from rebalancer.paper.account_specs import AccountSpec
from rebalancer.paper.server import dialect
from rebalancer.paper.server.admin import ACTION_FIELDS, FAULT_FIELDS, LIMIT_FIELDS
from rebalancer.paper.server.app import create_app
from rebalancer.paper.server.signing import sign
from rebalancer.paper.server.state import ServerSettings, VenueServer
from tests.hostile_json import nested, scalars

KEY, SECRET = "fuzz-key", "fuzz-secret"
NOW = datetime(2025, 3, 1, 12, 0, 10, tzinfo=UTC)
TIMESTAMP = str(int(NOW.timestamp() * 1000))
# Per request: generous for two shared cores, far below a hang.
REQUEST_SECONDS = 5.0
FUZZ = settings(
    # PAPER_FUZZ_EXAMPLES=5000 for a longer hunt; the default keeps the suite a few seconds.
    max_examples=int(os.environ.get("PAPER_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@dataclass
class Answer:
    status: int
    body: Any
    seconds: float


class Venue:
    """An in-process venue on its own event loop, so that sync hypothesis tests can drive it."""

    def __init__(self, *, balances: dict[str, Decimal] | None = None) -> None:
        spec = AccountSpec(
            api_key=KEY,
            api_secret=SECRET,
            account_id="fuzz",
            balances=balances or {"USDT": Decimal("100000"), "BTC": Decimal("2")},
        )
        self.server = VenueServer(
            # Limits no fuzz run can reach: the parsing is under test, not the limiter.
            ServerSettings(seed=3, accounts=[spec], weight_limit=10**9, orders_limit=10**9),
            clock=lambda: NOW,
        )
        self.loop = asyncio.new_event_loop()
        self.client: TestClient[Any, Any] = self.loop.run_until_complete(self._start())
        self.auth = {"Authorization": f"Bearer {self.server.admin_token}"}

    async def _start(self) -> TestClient[Any, Any]:
        client: TestClient[Any, Any] = TestClient(TestServer(create_app(self.server)))
        await client.start_server()
        return client

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.loop.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        async def go() -> Answer:
            started = time.monotonic()
            url = URL(path + (f"?{query}" if query else ""), encoded=True)
            async with self.client.request(method, url, data=data, headers=headers) as reply:
                text = await reply.text()
            body: Any = json.loads(text) if reply.content_type == "application/json" else text
            return Answer(reply.status, body, time.monotonic() - started)

        return self.loop.run_until_complete(asyncio.wait_for(go(), REQUEST_SECONDS))

    def api(self, method: str, path: str, params: dict[str, str], *, signed: bool = True) -> Answer:
        query = urlencode(params)
        headers = {"X-MBX-APIKEY": KEY}
        if signed:
            query = f"{query}&signature={sign(SECRET, query)}"
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return self.request(method, path, data=query, headers=headers)
        return self.request(method, path, query=query, headers=headers)

    def admin(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> Answer:
        headers = {**self.auth, "Content-Type": "application/json"}
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return self.request(method, path, data=data, headers=headers)


@contextmanager
def venue(**kwargs: Any) -> Iterator[Venue]:
    opened = Venue(**kwargs)
    try:
        yield opened
    finally:
        opened.close()


def line_fits(method: str, path: str, params: dict[str, str]) -> bool:
    """aiohttp refuses a request line past 8190 bytes itself, before any handler, with a
    plain-text 400: the HTTP layer's limit, not the venue's parsing, so left out here."""
    return method == "POST" or len(path) + len(urlencode(params)) < 8000


def assert_binance_error(answer: Answer) -> None:
    assert 400 <= answer.status < 500, answer
    assert isinstance(answer.body, dict), answer
    assert isinstance(answer.body.get("code"), int), answer
    assert answer.body["code"] < 0, answer
    assert isinstance(answer.body.get("msg"), str), answer


def assert_no_server_error(answer: Answer) -> None:
    assert answer.status < 500, answer
    assert answer.seconds < REQUEST_SECONDS, answer
    if answer.status >= 400:
        assert isinstance(answer.body, dict), answer


# ------------------------------------------------------------------- the four reported 500s


def test_deeply_nested_symbols_are_illegal_not_a_recursion_error() -> None:
    with venue() as v:
        answer = v.request("GET", "/api/v3/exchangeInfo", query="symbols=" + "[" * 3000)
        assert_binance_error(answer)
        assert "'symbols'" in answer.body["msg"]
        for spoiled in ('["BTCUSDT",["ETHUSDT"]]', '{"a":1}', "[1,2]", '"BTCUSDT"'):
            answer = v.request(
                "GET", "/api/v3/exchangeInfo", query="symbols=" + quote(spoiled, safe="")
            )
            assert (answer.status, answer.body["code"]) == (400, -1100), spoiled
        ok = v.request("GET", "/api/v3/exchangeInfo", query=urlencode({"symbols": '["BTCUSDT"]'}))
        assert [s["symbol"] for s in ok.body["symbols"]] == ["BTCUSDT"]


def test_my_trades_refuses_times_a_datetime_cannot_hold() -> None:
    with venue() as v:
        for name, value in [("startTime", str(10**18)), ("endTime", "99999999999999999")]:
            params = {"symbol": "BTCUSDT", name: value, "timestamp": TIMESTAMP}
            answer = v.api("GET", "/api/v3/myTrades", params)
            assert_binance_error(answer)
            assert answer.body["code"] == -1130
            assert f"'{name}'" in answer.body["msg"]
        latest = str(dialect.LATEST_MILLIS)
        params = {"symbol": "BTCUSDT", "endTime": latest, "timestamp": TIMESTAMP}
        ok = v.api("GET", "/api/v3/myTrades", params)
        assert (ok.status, ok.body) == (200, [])


def test_account_writes_a_balance_of_1e20_and_more() -> None:
    huge = Decimal("1e30")
    with venue(balances={"USDT": Decimal("1e20"), "BTC": huge}) as v:
        answer = v.api("GET", "/api/v3/account", {"timestamp": TIMESTAMP})
        assert answer.status == 200, answer
        rows = {row["asset"]: row["free"] for row in answer.body["balances"]}
        assert rows["USDT"] == "100000000000000000000.00000000"
        assert Decimal(rows["BTC"]) == huge


def test_admin_refuses_nan_and_never_answers_invalid_json() -> None:
    with venue() as v:
        for value in ("NaN", "Infinity", "-Infinity", "1e999999", -1, 10**12):
            answer = v.admin("POST", "/admin/faults", {"latency_ms": value})
            assert answer.status == 400, (value, answer)
            assert answer.body["error"].startswith("latency_ms: "), answer
        for raw in (b'{"latency_ms": NaN}', b'{"weight_limit": ' + b"9" * 5000 + b"}"):
            answer = v.admin("POST", "/admin/faults", raw=raw)
            assert answer.status == 400, answer
            assert answer.body["error"].startswith("body: "), answer
        faults = v.admin("GET", "/admin/faults")
        assert faults.status == 200
        assert faults.body["faults"]["latency_ms"] == 0


def test_a_non_ascii_signature_is_invalid_not_a_type_error() -> None:
    form = {"X-MBX-APIKEY": KEY, "Content-Type": "application/x-www-form-urlencoded"}
    body = f"symbol=BTCUSDT&timestamp={TIMESTAMP}&signature=\u00e9".encode()
    with venue() as v:
        answer = v.request("POST", "/api/v3/order", data=body, headers=form)
        assert_binance_error(answer)
        assert answer.body["code"] == -1022


def test_oversized_bodies_and_wrong_methods_get_json_answers() -> None:
    big = b"a=" + b"1" * (2 * 1024 * 1024)
    with venue() as v:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        answer = v.request("POST", "/api/v3/order", data=big, headers=form)
        assert answer.status == 413
        assert_binance_error(answer)
        assert_binance_error(v.request("PUT", "/api/v3/order"))
        answer = v.admin("POST", "/admin/accounts", raw=big)
        assert answer.status == 413
        assert answer.body["error"].startswith("request: ")
        answer = v.admin("DELETE", "/admin/faults")
        assert answer.status == 405
        assert answer.body["error"].startswith("request: ")


# -------------------------------------------------------------------- hostile value makers


def _text(max_size: int = 40) -> st.SearchStrategy[str]:
    return st.text(min_size=1, max_size=max_size)


EXOTIC = ["NaN", "nan", "Infinity", "-Infinity", "-0", "1e5", "+1", " 1", "1 ", "1_0", "0x10"]
EXOTIC += ["\u0663", "\x00", "1.", ".5", "1..2", "--1", "[]", "{}", "null", "true", "9" * 4000]
# A regex "$" also matches before a final newline: these must still be refused.
EXOTIC += ["1\n", "BTCUSDT\n", "abc\n", '["BTCUSDT"]\n']


def not_matching(pattern: Any, extra: list[str] | None = None) -> st.SearchStrategy[str]:
    return st.one_of(
        _text().filter(lambda t: not pattern.fullmatch(t)),
        st.sampled_from([e for e in EXOTIC + (extra or []) if e and not pattern.fullmatch(e)]),
    )


def bad_long(low: int = 0, high: int = 2**63 - 1) -> st.SearchStrategy[str]:
    """Not digits, or digits outside [low, high]."""
    out_of_range = st.one_of(
        st.integers(min_value=high + 1, max_value=10**20 - 1),
        st.integers(min_value=10**20),
        st.integers(max_value=-1),
        *([st.integers(min_value=0, max_value=low - 1)] if low > 0 else []),
    ).map(str)
    return st.one_of(not_matching(dialect.LONG_PARAM), out_of_range)


def bad_decimal() -> st.SearchStrategy[str]:
    return st.one_of(
        not_matching(dialect.DECIMAL_PARAM, ["1e999999999", "-1", "1" * 21, "1." + "1" * 21]),
        st.decimals(allow_nan=True, allow_infinity=True)
        .map(str)
        .filter(lambda t: not dialect.DECIMAL_PARAM.fullmatch(t)),
    )


def bad_enum(valid: set[str]) -> st.SearchStrategy[str]:
    return _text().filter(lambda t: t.upper() not in valid)


def bad_symbols() -> st.SearchStrategy[str]:
    nested = st.integers(min_value=2, max_value=1200).map(lambda n: "[" * n + "]" * n)
    lists = st.lists(st.one_of(_text(25), st.integers(), st.none()), max_size=4).map(json.dumps)
    return st.one_of(nested, lists, not_matching(dialect.SYMBOLS_PARAM)).filter(
        lambda t: not dialect.SYMBOLS_PARAM.fullmatch(t)
    )


# What each parameter must look like, as a strategy for a value that does not.
SPOILERS: dict[str, Callable[[], st.SearchStrategy[str]]] = {
    "symbol": lambda: not_matching(dialect.SYMBOL_PARAM, ["BTC/USDT", "btcusdt", "[[["]),
    "symbols": bad_symbols,
    "limit": lambda: bad_long(low=1),
    "orderId": bad_long,
    "fromId": bad_long,
    "startTime": lambda: bad_long(high=dialect.LATEST_MILLIS),
    "endTime": lambda: bad_long(high=dialect.LATEST_MILLIS),
    "recvWindow": lambda: st.one_of(bad_long(), st.integers(60_001, 10**18).map(str)),
    "timestamp": bad_long,
    "quantity": bad_decimal,
    "price": bad_decimal,
    "quoteOrderQty": bad_decimal,
    "newClientOrderId": lambda: not_matching(dialect.CLIENT_ID_PARAM, ["x" * 37]),
    "origClientOrderId": lambda: not_matching(dialect.CLIENT_ID_PARAM, ["x" * 37]),
    "side": lambda: bad_enum({"BUY", "SELL"}),
    "type": lambda: bad_enum({"LIMIT", "LIMIT_MAKER", "MARKET"}),
    "timeInForce": lambda: bad_enum({"GTC", "IOC", "FOK"}),
    "newOrderRespType": lambda: bad_enum({"ACK", "RESULT", "FULL"}),
}
# Binance's refusals of these name the parameter by their code rather than in the text.
CODE_NAMES = {"side": -1117, "type": -1116, "timeInForce": -1115}


class Route(NamedTuple):
    method: str
    path: str
    signed: bool
    valid: dict[str, str]
    spoilable: tuple[str, ...]


BTC = {"symbol": "BTCUSDT"}
ORDER = {
    **BTC,
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.001",
    "price": "100",
}
SIGNING = ("timestamp", "recvWindow")
ROUTES = [
    Route("GET", "/api/v3/exchangeInfo", False, {}, ("symbol", "symbols")),
    Route("GET", "/api/v3/depth", False, BTC, ("symbol", "limit")),
    Route("GET", "/api/v3/ticker/24hr", False, BTC, ("symbol",)),
    Route("GET", "/api/v3/ticker/price", False, BTC, ("symbol",)),
    Route("GET", "/api/v3/ticker/bookTicker", False, BTC, ("symbol",)),
    Route("GET", "/api/v3/avgPrice", False, BTC, ("symbol",)),
    Route(
        "POST",
        "/api/v3/order",
        True,
        ORDER,
        (*ORDER, "quoteOrderQty", "newClientOrderId", "newOrderRespType", *SIGNING),
    ),
    Route(
        "GET",
        "/api/v3/order",
        True,
        {**BTC, "orderId": "1"},
        ("symbol", "orderId", "origClientOrderId", *SIGNING),
    ),
    Route(
        "DELETE",
        "/api/v3/order",
        True,
        {**BTC, "orderId": "1"},
        ("symbol", "orderId", "origClientOrderId", "newClientOrderId", *SIGNING),
    ),
    Route("GET", "/api/v3/openOrders", True, {}, ("symbol", *SIGNING)),
    Route("DELETE", "/api/v3/openOrders", True, BTC, ("symbol", *SIGNING)),
    Route("GET", "/api/v3/allOrders", True, BTC, ("symbol", "limit", *SIGNING)),
    Route("GET", "/api/v3/account", True, {}, SIGNING),
    Route(
        "GET",
        "/api/v3/myTrades",
        True,
        BTC,
        ("symbol", "startTime", "endTime", "fromId", "orderId", "limit", *SIGNING),
    ),
]


@st.composite
def spoiled_requests(draw: st.DrawFn) -> tuple[Route, str, dict[str, str]]:
    route = draw(st.sampled_from(ROUTES))
    name = draw(st.sampled_from(route.spoilable))
    params = dict(route.valid)
    if route.signed:
        params["timestamp"] = TIMESTAMP
    params[name] = draw(SPOILERS[name]())
    return route, name, params


def test_every_spoiled_parameter_is_refused_by_name() -> None:
    with venue() as v:

        @FUZZ
        @given(spoiled_requests())
        def check(case: tuple[Route, str, dict[str, str]]) -> None:
            route, name, params = case
            assume(line_fits(route.method, route.path, params))
            answer = v.api(route.method, route.path, params, signed=route.signed)
            assert_binance_error(answer)
            assert answer.seconds < REQUEST_SECONDS
            named = name.lower() in answer.body["msg"].lower()
            assert named or answer.body["code"] == CODE_NAMES.get(name), (name, params, answer)

        check()


PARAM_NAMES = sorted({*SPOILERS, "omitZeroBalances", "signature", "x"})


def anything() -> st.SearchStrategy[str]:
    # The last four are inside Binance's legal ranges, yet far outside any filter.
    legal = st.sampled_from(
        [
            *["BTCUSDT", "1", "0", "100", "0.001", "BUY", "SELL", "LIMIT", "MARKET", "GTC"],
            *["9" * 20 + "." + "9" * 20, "0." + "0" * 19 + "1", "0" * 20 + ".1", str(2**63 - 1)],
        ]
    )
    spoiled = st.sampled_from(sorted(SPOILERS)).flatmap(lambda name: SPOILERS[name]())
    return st.one_of(legal, spoiled, st.text(max_size=30))


@st.composite
def any_requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str], bool]:
    route = draw(st.sampled_from(ROUTES))
    method = draw(st.sampled_from([route.method, route.method, "GET", "POST", "DELETE", "PUT"]))
    params = draw(st.dictionaries(st.sampled_from(PARAM_NAMES), anything(), max_size=8))
    if draw(st.booleans()):
        params = {**route.valid, **params}
    return method, route.path, params, draw(st.booleans())


def test_any_request_is_answered_in_time_and_never_with_a_5xx() -> None:
    with venue() as v:

        @FUZZ
        @given(any_requests())
        def check(case: tuple[str, str, dict[str, str], bool]) -> None:
            method, path, params, signed = case
            assume(line_fits(method, path, params))
            answer = v.api(method, path, params, signed=signed)
            assert_no_server_error(answer)
            if answer.status >= 400:
                assert_binance_error(answer)

        check()


def raw_forms() -> st.SearchStrategy[bytes]:
    """Form bodies as a careless client writes them: nothing percent-encoded."""
    pairs = st.tuples(st.sampled_from(PARAM_NAMES), anything())
    # Often a fresh timestamp first, so that parsing gets past it to the signature and on.
    start = st.sampled_from(["", f"timestamp={TIMESTAMP}", f"symbol=BTCUSDT&timestamp={TIMESTAMP}"])
    return st.tuples(start, st.lists(pairs, max_size=6)).map(
        lambda form: "&".join([form[0], *(f"{k}={v}" for k, v in form[1])]).encode(
            "utf-8", "surrogatepass"
        )
    )


def test_raw_bodies_get_json_answers_never_a_5xx() -> None:
    headers = {"X-MBX-APIKEY": KEY, "Content-Type": "application/x-www-form-urlencoded"}
    with venue() as v:

        @FUZZ
        @given(st.one_of(st.binary(max_size=300), raw_forms()), st.sampled_from(ROUTES))
        def check(body: bytes, route: Route) -> None:
            answer = v.request(route.method, route.path, data=body, headers=headers)
            assert_no_server_error(answer)
            if answer.status >= 400:
                assert_binance_error(answer)

        check()


# ------------------------------------------------------------------------------ admin routes

JSON_SCALARS = scalars("NaN", "Infinity", "-1", "1e999999999", "1e30", "0.5", "1.5")
JSON_VALUES = nested(JSON_SCALARS)
NUMERIC_FIELDS = {
    k: v for k, v in {**FAULT_FIELDS, **LIMIT_FIELDS, **ACTION_FIELDS}.items() if v in (int, float)
}


def bad_setting(kind: type) -> st.SearchStrategy[Any]:
    not_numbers = st.one_of(
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        st.text(max_size=10).filter(lambda t: not _is_number(t)),
        st.sampled_from(["NaN", "nan", "Infinity", "-Infinity", "sNaN"]),
    )
    out_of_range = st.one_of(
        st.integers(max_value=-1),
        st.integers(min_value=10**9 + 1),
        st.sampled_from(["-0.5", "1e10", "1e999999999", "-1e-9"]),
    )
    fractions = st.sampled_from(["0.5", "1.25"]) if kind is int else st.nothing()
    return st.one_of(not_numbers, out_of_range, fractions)


def _is_number(text: str) -> bool:
    try:
        return Decimal(text.strip()).is_finite()
    except ArithmeticError:
        return False


@st.composite
def bad_fault_bodies(draw: st.DrawFn) -> tuple[str, Any]:
    name = draw(st.sampled_from([*sorted(NUMERIC_FIELDS), "maintenance", "ambiguous_mode"]))
    if name == "maintenance":
        value = draw(JSON_VALUES.filter(lambda v: not isinstance(v, bool)))
    elif name == "ambiguous_mode":
        value = draw(JSON_VALUES.filter(lambda v: v not in ("error", "drop")))
    else:
        value = draw(bad_setting(NUMERIC_FIELDS[name]))
    return name, value


def test_admin_faults_refuse_every_bad_value_by_name() -> None:
    with venue() as v:

        @FUZZ
        @given(bad_fault_bodies())
        def check(case: tuple[str, Any]) -> None:
            name, value = case
            answer = v.admin("POST", "/admin/faults", {name: value})
            assert 400 <= answer.status < 500, (case, answer)
            assert answer.body["error"].startswith(f"{name}: "), (case, answer)

        check()


VALID_ACCOUNT = {"api_key": "k", "api_secret": "s", "balances": {"USDT": "1"}}
ACCOUNT_SPOILERS: dict[str, st.SearchStrategy[Any]] = {
    "api_key": st.one_of(
        JSON_SCALARS.filter(lambda v: not isinstance(v, str)), st.text(min_size=129)
    ),
    "api_secret": st.one_of(st.just(""), JSON_VALUES.filter(lambda v: not isinstance(v, str))),
    "balances": st.one_of(
        st.dictionaries(
            st.sampled_from(["USDT", "BTC"]),
            st.sampled_from(["NaN", "-1", "1e31", "1e999999999", "Infinity", "abc", ""]),
            min_size=1,
        ),
        st.dictionaries(
            st.text(max_size=30).filter(lambda t: not t.isalnum()), st.just("1"), min_size=1
        ),
        JSON_SCALARS.filter(lambda v: v is not None),
    ),
    "maker_fee": st.sampled_from(["NaN", "-0.1", "2", "1e999999999", "abc", True]),
}


@st.composite
def bad_accounts(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(sorted(ACCOUNT_SPOILERS)))
    return name, {**VALID_ACCOUNT, name: draw(ACCOUNT_SPOILERS[name])}


def test_admin_accounts_refuse_every_bad_field_by_name() -> None:
    with venue() as v:

        @FUZZ
        @given(bad_accounts())
        def check(case: tuple[str, dict[str, Any]]) -> None:
            name, body = case
            answer = v.admin("POST", "/admin/accounts", body)
            assert 400 <= answer.status < 500, (case, answer)
            assert answer.body["error"].startswith(name), (case, answer)

        check()
        assert v.admin("GET", "/admin/accounts").body["accounts"][1:] == []


ADMIN_GETS = ["health", "market", "accounts", "faults"]
ADMIN_NAMED = ["balances", "orders", "trades"]


@st.composite
def any_admin_requests(draw: st.DrawFn) -> tuple[str, str, bytes | None]:
    kind = draw(st.sampled_from(["get", "named", "post_json", "post_raw"]))
    if kind == "get":
        return "GET", "/admin/" + draw(st.sampled_from(ADMIN_GETS)), None
    if kind == "named":
        name = quote(draw(st.one_of(st.just("fuzz"), st.text(min_size=1, max_size=30))), safe="")
        query = urlencode({"symbol": draw(st.text(max_size=20))})
        path = f"/admin/accounts/{name}/{draw(st.sampled_from(ADMIN_NAMED))}?{query}"
        return "GET", path, None
    path = "/admin/" + draw(st.sampled_from(["faults", "accounts"]))
    if kind == "post_json":
        return "POST", path, json.dumps(draw(JSON_VALUES)).encode()
    nested = st.integers(1, 5000).map(lambda n: b"[" * n)
    return "POST", path, draw(st.one_of(st.binary(max_size=200), nested))


def test_any_admin_request_is_answered_in_time_and_never_with_a_5xx() -> None:
    with venue() as v:

        @FUZZ
        @given(any_admin_requests())
        def check(case: tuple[str, str, bytes | None]) -> None:
            method, target, raw = case
            path, _, query = target.partition("?")
            headers = {**v.auth, "Content-Type": "application/json"}
            answer = v.request(method, path, query=query, data=raw, headers=headers)
            assert_no_server_error(answer)
            if answer.status >= 400:
                assert isinstance(answer.body.get("error"), str), (case, answer)

        check()
