"""Bybit spot (v5) through the real gateway and stock ccxt, on responses Bybit really sent.

The bodies come from ccxt's recorded static-test responses (``recorded/bybit.json``); only
the socket is replaced. Where a test needs another value (our client id, a partial fill) it
changes a copy here and says so. Error bodies are not recorded there: they are built in
Bybit's documented form ``{"retCode", "retMsg", "result", "retExtInfo", "time"}`` with the
code and message of https://bybit-exchange.github.io/docs/v5/error.
"""

from __future__ import annotations

import copy
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import ccxt
import pytest

from rebalancer.domain.orders import client_order_id
from rebalancer.venue import errors
from rebalancer.venue.ccxt_errors import classify
from rebalancer.venue.models import LimitOrder
from rebalancer.venue.profiles.bybit import PROFILE, WINDOW_MS
from tests.venue import recorded_session as rs

VENUE = "bybit"
CREATE = r"^/v5/order/create$"
REALTIME = r"^/v5/order/realtime$"
HISTORY = r"^/v5/order/history$"
CANCEL = r"^/v5/order/cancel$"
EXECUTIONS = r"^/v5/execution/list$"
PROBES = r"^/v5/(user/query-api|account/info)$"
WALLET = r"^/v5/account/wallet-balance$"

# Bybit accepts this one as it is: [A-Za-z0-9_-], 36 at most.
PLAIN_ID = client_order_id("account-1", 7, "LTC", 0)
# A canonical id with "." is not an orderLinkId: the profile sends a digest instead.
DOTTED_ID = "rb-5e1f00aa-7-LTC.USDT-0"

# The recorded spot orders' symbols and the numbers of the recorded open LTC order.
LTC = "LTC/USDT"
ETH = "ETH/USDT"


@pytest.fixture
async def rv(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[rs.RecordedVenue]:
    venue = rs.recorded_venue(monkeypatch, VENUE)
    yield venue
    await venue.gateway.close()


def error(code: int, message: str, status: int = 200) -> rs.Reply:
    """An error answer in Bybit's v5 form (https://bybit-exchange.github.io/docs/v5/error)."""
    return rs.Reply(
        {"retCode": code, "retMsg": message, "result": {}, "retExtInfo": {}, "time": 1706653482432},
        status=status,
    )


def with_link_id(name: str, link_id: str) -> dict[str, Any]:
    """A recorded order list whose one order carries ``link_id``."""
    reply: dict[str, Any] = rs.body(VENUE, name)
    # Our client id in place of the recorded one: the gateway looks the order up by it.
    reply["result"]["list"][0]["orderLinkId"] = link_id
    return reply


def empty_list(name: str = "open_order") -> dict[str, Any]:
    reply: dict[str, Any] = rs.body(VENUE, name)
    # Bybit answers a link id it does not know with an empty list (retCode 0), no error.
    reply["result"]["list"] = []
    reply["result"]["nextPageCursor"] = ""
    return reply


def finds(
    link_id: str, found: dict[str, Any], name: str = "open_order"
) -> Callable[[rs.Sent], rs.Reply]:
    """A lookup route that answers with ``found`` only when asked for ``link_id``."""

    def handler(sent: rs.Sent) -> rs.Reply:
        if sent.params.get("orderLinkId") == link_id:
            return rs.Reply(found)
        return rs.Reply(empty_list(name))

    return handler


def ack(link_id: str) -> dict[str, Any]:
    reply: dict[str, Any] = rs.body(VENUE, "create_order")
    # Our client id in place of the recorded one, as Bybit echoes it back.
    reply["result"]["orderLinkId"] = link_id
    return reply


def no_probe(session: rs.RecordedSession) -> None:
    assert session.requests("GET", PROBES) == [], "ccxt asked for the account mode"


async def place_recorded_ltc_order(gateway: Any, canonical: str) -> Any:
    # The recorded open order: buy 0.3 LTC at 50 USDT.
    return await gateway.place_limit_order(
        LimitOrder(LTC, "buy", Decimal("0.3"), Decimal("50"), canonical)
    )


# ------------------------------------------------------------------ placement


@pytest.mark.parametrize("canonical", [PLAIN_ID, DOTTED_ID])
async def test_lost_placement_is_found_by_link_id_and_not_placed_again(
    rv: rs.RecordedVenue, canonical: str
) -> None:
    link_id = PROFILE.venue_client_id(canonical)
    placed: list[str] = []

    def create(sent: rs.Sent) -> rs.Reply:
        placed.append(sent.params["orderLinkId"])
        raise rs.LostResponse

    def realtime(sent: rs.Sent) -> rs.Reply:
        if placed and sent.params.get("orderLinkId") == placed[0]:
            return rs.Reply(with_link_id("open_order", placed[0]))
        return rs.Reply(empty_list())

    rv.session.on("POST", CREATE, create)
    rv.session.on("GET", REALTIME, realtime)

    order = await place_recorded_ltc_order(rv.gateway, canonical)

    creates = rv.session.requests("POST", CREATE)
    assert len(creates) == 1
    assert creates[0].params["orderLinkId"] == link_id
    assert creates[0].params["category"] == "spot"
    if canonical == DOTTED_ID:
        assert link_id != canonical
        assert link_id.startswith("rb")
        assert len(link_id) == 36
    else:
        assert link_id == canonical
    assert order.client_order_id == canonical
    assert order.venue_order_id == "1620421817225451008"
    assert order.amount == Decimal("0.30000")
    assert order.price == Decimal("50.000")
    assert order.status == "open"
    no_probe(rv.session)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        # Spot trade error 170141 (docs/v5/error; ccxt bybit exceptions: InvalidOrder).
        (170141, "Duplicate clientOrderId"),
        # UTA error table: 110072 "OrderLinkedID is duplicate" (docs/v5/error).
        (110072, "OrderLinkedID is duplicate"),
        # ccxt bybit exceptions, '12141': "retCode":12141,"retMsg":"Duplicate clientOrderId."
        (12141, "Duplicate clientOrderId."),
    ],
    ids=["170141", "110072", "12141"],
)
async def test_every_duplicate_code_resolves_to_the_existing_order(
    rv: rs.RecordedVenue, code: int, message: str
) -> None:
    rv.session.on("POST", CREATE, error(code, message))
    rv.session.on("GET", REALTIME, finds(PLAIN_ID, with_link_id("open_order", PLAIN_ID)))

    order = await place_recorded_ltc_order(rv.gateway, PLAIN_ID)

    assert len(rv.session.requests("POST", CREATE)) == 1
    assert order.client_order_id == PLAIN_ID
    assert order.venue_order_id == "1620421817225451008"
    lookups = rv.session.requests("GET", REALTIME)
    assert [s.params["orderLinkId"] for s in lookups] == [PLAIN_ID]


async def test_placement_after_maintenance_looks_up_before_placing_again(
    rv: rs.RecordedVenue,
) -> None:
    answers = [
        # Bybit documents no JSON maintenance code; its gateway answers 503 with a page,
        # which ccxt maps to ExchangeNotAvailable (base httpExceptions '503').
        rs.Reply("<html><body>503 Service Temporarily Unavailable</body></html>", status=503),
        rs.Reply(ack(PLAIN_ID)),
    ]
    rv.session.on("POST", CREATE, lambda sent: answers.pop(0))
    rv.session.on("GET", REALTIME, rs.Reply(empty_list()))
    rv.session.on("GET", HISTORY, rs.Reply(empty_list("closed_order")))

    order = await place_recorded_ltc_order(rv.gateway, PLAIN_ID)

    assert [(s.method, s.path) for s in rv.session.sent] == [
        ("POST", "/v5/order/create"),
        ("GET", "/v5/order/realtime"),
        ("GET", "/v5/order/history"),
        ("POST", "/v5/order/create"),
    ]
    assert order.venue_order_id == "1609920528435648000"
    assert order.client_order_id == PLAIN_ID
    assert order.status == "open"
    assert order.amount == Decimal("0.3")
    no_probe(rv.session)


# --------------------------------------------------------------------- lookup


async def test_unknown_link_id_is_not_found(rv: rs.RecordedVenue) -> None:
    rv.session.on("GET", REALTIME, rs.Reply(empty_list()))
    rv.session.on("GET", HISTORY, rs.Reply(empty_list("closed_order")))

    assert await rv.gateway.fetch_order(LTC, PLAIN_ID) is None

    (realtime,) = rv.session.requests("GET", REALTIME)
    (history,) = rv.session.requests("GET", HISTORY)
    for sent in (realtime, history):
        assert sent.params["orderLinkId"] == PLAIN_ID
        assert sent.params["category"] == "spot"
        assert sent.params["symbol"] == "LTCUSDT"
    # A cancelled order must be found too: no status filter on the history.
    assert "orderStatus" not in history.params


async def test_order_gone_from_realtime_is_found_in_history(
    rv: rs.RecordedVenue,
) -> None:
    rv.session.on("GET", REALTIME, rs.Reply(empty_list()))
    rv.session.on(
        "GET", HISTORY, finds(PLAIN_ID, with_link_id("closed_order", PLAIN_ID), "closed_order")
    )

    order = await rv.gateway.fetch_order("BTC/USDT", PLAIN_ID)

    assert order is not None
    assert order.venue_order_id == "1823584718894229760"
    assert order.client_order_id == PLAIN_ID
    assert order.status == "closed"
    assert order.filled == Decimal("0.000544")


# ------------------------------------------------------- partial fill, cancel


def partially_filled(status: str, leaves: str) -> dict[str, Any]:
    """The recorded open order, turned into the order behind the recorded ETH fill."""
    reply = with_link_id("open_order", PLAIN_ID)
    row = reply["result"]["list"][0]
    # The recorded ETH fill belongs to order 1644387819067894016 (limit 2506.29); its own
    # order was a market one, so the recorded LTC limit order stands in, 0.0015 ETH filled.
    row.update(
        symbol="ETHUSDT",
        orderId="1644387819067894016",
        price="2506.29",
        orderStatus=status,
        cumExecQty="0.00150",
        cumExecValue="3.680475",
        avgPrice="2453.65",
        leavesQty=leaves,
    )
    return reply


def fills() -> dict[str, Any]:
    reply: dict[str, Any] = rs.body(VENUE, "my_trades")
    first = reply["result"]["list"][0]
    # Our client id on the recorded fill, and a second, older fill of 0.0005 at the same
    # price so that two fills add up to the order's 0.0015.
    first["orderLinkId"] = PLAIN_ID
    second = copy.deepcopy(first)
    del second["nextPageCursor"]
    second.update(execId="2110000000034095619", execTime="1710762303000", execQty="0.0005")
    second.update(execValue="1.226825", execFee="0.0000005")
    reply["result"]["list"].append(second)
    return reply


async def test_partial_fill_is_reconciled_and_cancel_keeps_it(
    rv: rs.RecordedVenue,
) -> None:
    state = {"cancelled": False}

    def realtime(sent: rs.Sent) -> rs.Reply:
        if sent.params.get("orderLinkId") != PLAIN_ID:
            return rs.Reply(empty_list())
        if state["cancelled"]:
            return rs.Reply(partially_filled("PartiallyFilledCanceled", "0.00000"))
        return rs.Reply(partially_filled("PartiallyFilled", "0.29850"))

    def cancel(sent: rs.Sent) -> rs.Reply:
        state["cancelled"] = True
        reply = ack(PLAIN_ID)
        # /v5/order/cancel answers with the same {orderId, orderLinkId} as a placement
        # (docs/v5/order/cancel-order); the recorded placement ack carries another id.
        reply["result"]["orderId"] = "1644387819067894016"
        return rs.Reply(reply)

    rv.session.on("GET", REALTIME, realtime)
    rv.session.on("POST", CANCEL, cancel)
    rv.session.on("GET", EXECUTIONS, rs.Reply(fills()))

    order = await rv.gateway.fetch_order(ETH, PLAIN_ID)
    assert order is not None
    assert order.status == "open"
    assert order.amount == Decimal("0.30000")
    assert order.filled == Decimal("0.00150")
    assert order.filled < order.amount
    assert order.price == Decimal("2506.29")
    assert order.average == Decimal("2453.65")

    trades = await rv.gateway.trades(ETH)
    assert [t.trade_id for t in trades] == ["2110000000034095619", "2110000000034095620"]
    assert [t.amount for t in trades] == [Decimal("0.0005"), Decimal("0.001")]
    assert all(t.price == Decimal("2453.65") for t in trades)
    assert [t.fee for t in trades] == [Decimal("0.0000005"), Decimal("0.000001")]
    assert all(t.fee_asset == "ETH" for t in trades)
    assert all(t.venue_order_id == "1644387819067894016" for t in trades)
    assert all(t.client_order_id == PLAIN_ID for t in trades)
    assert all(t.taker_or_maker == "taker" for t in trades)
    assert sum(t.amount for t in trades) == order.filled
    (executions,) = rv.session.requests("GET", EXECUTIONS)
    assert executions.params["execType"] == "Trade"
    assert executions.params["limit"] == "100"

    cancelled = await rv.gateway.cancel_order(ETH, PLAIN_ID)
    (sent,) = rv.session.requests("POST", CANCEL)
    assert sent.params["orderLinkId"] == PLAIN_ID
    assert sent.params["category"] == "spot"
    assert "orderId" not in sent.params
    assert cancelled.is_final
    assert cancelled.filled == Decimal("0.00150")
    assert cancelled.amount == Decimal("0.30000")


async def test_cancel_of_a_finished_order_reports_it(rv: rs.RecordedVenue) -> None:
    # Spot trade error 170213 "Order does not exist." (docs/v5/error; ccxt: OrderNotFound).
    rv.session.on("POST", CANCEL, error(170213, "Order does not exist."))
    final = partially_filled("PartiallyFilledCanceled", "0.00000")
    rv.session.on("GET", REALTIME, finds(PLAIN_ID, final))

    cancelled = await rv.gateway.cancel_order(ETH, PLAIN_ID)

    assert cancelled.is_final
    assert cancelled.filled == Decimal("0.00150")
    assert len(rv.session.requests("POST", CANCEL)) == 1


async def test_trades_follow_the_cursor_then_the_next_window(
    rv: rs.RecordedVenue,
) -> None:
    recorded_row: dict[str, Any] = rs.body(VENUE, "my_trades")["result"]["list"][0]
    # Changed: the fills are moved to 7.5 days ago, so that the next window (from 7 days
    # after ``since``) has begun and the one after it has not.
    newest = int(time.time() * 1000) - WINDOW_MS - WINDOW_MS // 14

    def row(n: int) -> dict[str, Any]:
        # The recorded fill, repeated one second apart with its own execution id, to fill
        # a page of 100 (Bybit's maximum) and one row more.
        copied: dict[str, Any] = copy.deepcopy(recorded_row)
        copied.pop("nextPageCursor", None)
        copied.update(execId=str(2110000000034095620 - n), execTime=str(newest - 1000 * n))
        return copied

    since_ms = newest - 3_600_000
    first = rs.body(VENUE, "my_trades")
    first["result"]["list"] = [row(n) for n in range(100)]
    first["result"]["list"][0]["nextPageCursor"] = first["result"]["nextPageCursor"]
    second = rs.body(VENUE, "my_trades")
    second["result"]["list"] = [row(100)]

    def executions(sent: rs.Sent) -> rs.Reply:
        if "cursor" in sent.params:
            return rs.Reply(second)
        if int(sent.params["startTime"]) == since_ms:
            return rs.Reply(first)
        return rs.Reply(empty_list("my_trades"))

    rv.session.on("GET", EXECUTIONS, executions)

    trades = await rv.gateway.trades(ETH, since=datetime.fromtimestamp(since_ms / 1000, tz=UTC))

    assert len(trades) == 101
    requests = rv.session.requests("GET", EXECUTIONS)
    # The cursor goes back exactly as Bybit wrote it (already percent-encoded).
    cursor = f"cursor={first['result']['nextPageCursor']}"
    assert [cursor in r.url.raw_query_string for r in requests] == [False, True, False]
    # The cursor page stays in its window; then the next 7-day window is read.
    assert [int(r.params["startTime"]) for r in requests] == [
        since_ms,
        since_ms,
        since_ms + WINDOW_MS,
    ]


async def test_trades_are_read_past_quiet_weeks(rv: rs.RecordedVenue) -> None:
    # A stale order from three weeks ago sets ``since``: two 7-day windows without a fill
    # come before the one with the fills, which must still be read.
    now = int(time.time() * 1000)
    since_ms = now - 3 * WINDOW_MS + 3_600_000
    fill: dict[str, Any] = rs.body(VENUE, "my_trades")
    # Changed: the recorded fill, moved into the third window.
    fill["result"]["list"][0]["execTime"] = str(now - 3_600_000)
    fill["result"]["nextPageCursor"] = ""

    def executions(sent: rs.Sent) -> rs.Reply:
        if int(sent.params["startTime"]) == since_ms + 2 * WINDOW_MS:
            return rs.Reply(fill)
        return rs.Reply(empty_list("my_trades"))

    rv.session.on("GET", EXECUTIONS, executions)

    trades = await rv.gateway.trades(ETH, since=datetime.fromtimestamp(since_ms / 1000, tz=UTC))

    assert [t.trade_id for t in trades] == [fill["result"]["list"][0]["execId"]]
    starts = [int(r.params["startTime"]) for r in rv.session.requests("GET", EXECUTIONS)]
    assert starts == [since_ms, since_ms + WINDOW_MS, since_ms + 2 * WINDOW_MS]


# ------------------------------------------------------------ balances, book


async def test_unified_balances_parse_exactly(rv: rs.RecordedVenue) -> None:
    rv.session.on("GET", WALLET, rs.Reply(rs.body(VENUE, "balance")))

    balances = await rv.gateway.balances()

    (sent,) = rv.session.requests("GET", r"wallet-balance")
    assert sent.params["accountType"] == "UNIFIED"
    no_probe(rv.session)
    # ccxt: used = locked + totalPositionIM, free = walletBalance - used (recorded strings).
    assert balances["USDT"].free == Decimal("3322.25896609") - Decimal("92.61831144")
    assert balances["USDT"].locked == Decimal("42") + Decimal("50.61831144")
    assert balances["BTC"].free == Decimal("0.85581394")
    assert balances["BTC"].locked == Decimal(0)
    assert balances["LTC"].free == Decimal("0.02101953")
    assert set(balances) == {"USDC", "BTC", "ETH", "ADA", "XRP", "USDT", "LTC"}


@pytest.mark.parametrize(("levels", "asked"), [(2, 2), (50, 50), (500, 200)])
async def test_order_book_parses_exactly_at_an_accepted_depth(
    rv: rs.RecordedVenue, levels: int, asked: int
) -> None:
    rv.session.on("GET", r"^/v5/market/orderbook$", rs.Reply(rs.body(VENUE, "order_book")))

    book = await rv.gateway.order_book("BTC/USDT", levels)

    (sent,) = rv.session.requests("GET", r"orderbook")
    assert sent.params["category"] == "spot"
    assert sent.params["symbol"] == "BTCUSDT"
    assert int(sent.params["limit"]) == asked
    assert 1 <= asked <= 200
    rs.assert_book(
        book,
        bids=[("29861", "0.00101"), ("29829.3", "0.000667")],
        asks=[("29971.81", "0.001161"), ("29988.93", "0.112648")],
    )


# --------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        # API rate limit per UID: 10006, "Too many visits!" (docs/v5/rate-limit).
        (error(10006, "Too many visits!"), errors.RateLimited),
        # IP rate limit: HTTP 403 (docs/v5/rate-limit); ccxt bybit httpExceptions '403'.
        (rs.Reply("<html><body>403 Forbidden</body></html>", status=403), errors.RateLimited),
        # Maintenance or an outage in front of the API: HTTP 503 (ccxt base httpExceptions).
        (rs.Reply("Service Unavailable", status=503), errors.VenueUnavailable),
        # 10003 "API key is invalid.", 10004 "Error sign, ..." (docs/v5/error).
        (error(10003, "API key is invalid."), errors.AuthenticationFailed),
        (
            error(10004, "Error sign, please check your signature generation algorithm."),
            errors.AuthenticationFailed,
        ),
    ],
)
async def test_read_errors_are_classified(
    monkeypatch: pytest.MonkeyPatch, reply: rs.Reply, kind: type[errors.VenueError]
) -> None:
    venue = rs.recorded_venue(monkeypatch, VENUE, max_attempts=1)

    raised = await rs.balances_error(venue, "GET", WALLET, reply, kind)

    assert raised.retryable is issubclass(kind, errors.RetryableVenueError)
    await venue.gateway.close()


async def test_insufficient_balance_is_final_and_placed_once(
    rv: rs.RecordedVenue,
) -> None:
    # Spot trade error 170131 "Balance insufficient" (docs/v5/error; ccxt: InsufficientFunds).
    rv.session.on("POST", CREATE, error(170131, "Balance insufficient"))

    with pytest.raises(errors.InsufficientFunds) as raised:
        await place_recorded_ltc_order(rv.gateway, PLAIN_ID)

    assert not raised.value.retryable
    assert len(rv.session.sent) == 1


@pytest.mark.parametrize(
    ("code", "message"),
    [
        # 170007 "Timeout waiting for response from backend server." (docs/v5/error): the
        # order may exist. ccxt maps it to RequestTimeout.
        (170007, "Timeout waiting for response from backend server."),
        (10000, "Server Timeout"),
        (10016, "Server error."),
        (170146, "Order creation timeout"),
    ],
    ids=["170007", "10000", "10016", "170146"],
)
async def test_server_side_timeouts_are_retried_after_a_lookup(
    rv: rs.RecordedVenue, code: int, message: str
) -> None:
    answers = [error(code, message), rs.Reply(ack(PLAIN_ID))]
    rv.session.on("POST", CREATE, lambda sent: answers.pop(0))
    rv.session.on("GET", REALTIME, finds(PLAIN_ID, with_link_id("open_order", PLAIN_ID)))

    order = await place_recorded_ltc_order(rv.gateway, PLAIN_ID)

    assert order.venue_order_id == "1620421817225451008"
    assert len(rv.session.requests("POST", CREATE)) == 1


# -------------------------------------------------------------------- markets


@pytest.mark.parametrize("symbol", ["BTC/USDT", ETH, LTC])
async def test_markets_parse_to_the_declared_filters(rv: rs.RecordedVenue, symbol: str) -> None:
    info = rs.recorded(VENUE)["markets"][symbol]["info"]

    rules = (await rv.gateway.markets())[symbol]

    assert rules.tick_size == Decimal(info["priceFilter"]["tickSize"])
    assert rules.step_size == Decimal(info["lotSizeFilter"]["basePrecision"])
    assert rules.min_qty == Decimal(info["lotSizeFilter"]["minOrderQty"])
    assert rules.min_notional == Decimal(info["lotSizeFilter"]["minOrderAmt"])
    assert rules.maker_fee == Decimal("0.001")
    assert rules.taker_fee == Decimal("0.001")
    assert (rules.base, rules.quote) == tuple(symbol.split("/"))


def test_profile_facts() -> None:
    assert PROFILE.book_limit(1000) == 200
    assert PROFILE.venue_client_id(PLAIN_ID) == PLAIN_ID
    assert PROFILE.client_ids.accepts("a" * 36)
    assert not PROFILE.client_ids.accepts("a" * 37)
    # A timestamp that happens to contain a duplicate code is not a duplicate.
    timestamp = ccxt.ExchangeError('bybit {"retCode":10006,"time":1701410000000}')
    duplicate = ccxt.ExchangeError('bybit {"retCode":170141,"retMsg":"x"}')
    assert not isinstance(
        classify(timestamp, markers=PROFILE.errors), errors.DuplicateClientOrderId
    )
    assert isinstance(classify(duplicate, markers=PROFILE.errors), errors.DuplicateClientOrderId)


async def test_open_orders_are_listed_at_bybits_largest_page(rv: rs.RecordedVenue) -> None:
    # /v5/order/realtime answers 20 orders unless asked for more (at most 50): a fleet
    # account with more open orders would look as if the rest were gone.
    rv.session.on("GET", REALTIME, with_link_id("open_order", PLAIN_ID))

    (order,) = await rv.gateway.open_orders(LTC)

    (sent,) = rv.session.requests("GET", REALTIME)
    assert sent.params["limit"] == "50"
    assert order.client_order_id == PLAIN_ID


async def test_an_ip_ban_is_waited_out_not_prolonged(rv: rs.RecordedVenue) -> None:
    # Past 600 requests in 5 s Bybit answers HTTP 403 with no Retry-After and bans the IP
    # for about 30 minutes (rate-limit docs): a retry within it would only prolong it.
    rv.session.on("GET", WALLET, rs.Reply("", status=403))

    with pytest.raises(errors.RateLimited) as banned:
        await rv.gateway.balances()

    assert banned.value.retry_after == 1800.0
    assert len(rv.session.requests("GET", WALLET)) == 1
    # Every gateway of the venue in this worker waits it out, not only this one.
    assert rv.gateway.limiter.pause_remaining() > 1700
