"""Binance spot through the real gateway and stock ccxt, answered with Binance's own bodies.

Successful bodies are the ones ccxt records for its static tests (``recorded/binance.json``);
error bodies are Binance's ``{"code", "msg"}`` with the documented code and message. Where a
test needs another value than the recording (our client id, a partial fill) the test changes
it, saying so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from rebalancer.domain.numbers import div
from rebalancer.domain.orders import client_order_id
from rebalancer.venue import binance_weights, errors
from rebalancer.venue.limits import VenueLimits
from rebalancer.venue.models import Balance, LimitOrder
from rebalancer.venue.profiles.binance import PROFILE
from tests.venue import recorded_session as rs

SYMBOL = "LTC/USDT"
CANONICAL = client_order_id("acct-1", 7, "LTC", 0)
VENUE_ID = PROFILE.venue_client_id(CANONICAL)
ORDER = r"/api/v3/order$"
TRADES = r"/api/v3/myTrades$"
ACCOUNT = r"/api/v3/account$"

# exchangeInfo's rateLimits as Binance documents them: REQUEST_WEIGHT 6000 a minute
# (https://developers.binance.com/docs/binance-spot-api-docs/websocket-api/rate-limits),
# ORDERS 100 per 10 s (https://developers.binance.com/docs/binance-spot-api-docs/faqs/
# order_count_decrement), ORDERS 200000 a day and RAW_REQUESTS 61000 per 5 minutes
# (https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits). ccxt records no
# exchangeInfo body.
RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
]

# Error bodies: codes and messages from https://developers.binance.com/docs/binance-spot-api-docs/
# errors; each one's class is the one ccxt's binance ``exceptions`` map gives it (quoted).
# '-2013': OrderNotFound  # {"code":-2013,"msg":"fetchOrder (1, 'BTC/USDT') -> 'Order does
# not exist'"}
NOT_FOUND = rs.Reply({"code": -2013, "msg": "Order does not exist."}, status=400)
# '-2011': OrderNotFound  # {"code":-2011,"msg":"cancelOrder(1, 'BTC/USDT') -> 'UNKNOWN_ORDER'"}
UNKNOWN_ORDER = rs.Reply({"code": -2011, "msg": "Unknown order sent."}, status=400)
# -2010 NEW_ORDER_REJECTED "Duplicate order sent." (errors doc: the client order id is in use).
DUPLICATE = rs.Reply({"code": -2010, "msg": "Duplicate order sent."}, status=400)
# 'Account has insufficient balance for requested action.': InsufficientFunds
NO_FUNDS = rs.Reply(
    {"code": -2010, "msg": "Account has insufficient balance for requested action."}, status=400
)
# HTTP 429 on any rate limit; ORDERS breaches come without Retry-After (limits doc).
TOO_MANY_ORDERS = rs.Reply(
    {"code": -1015, "msg": "Too many new orders; current limit is 100 orders per 10 SECOND."},
    status=429,
)
# 'System is under maintenance.': OnMaintenance  # {"code":1,"msg":"System is under maintenance."}
MAINTENANCE = rs.Reply({"code": 1, "msg": "System is under maintenance."}, status=503)


@pytest.fixture
async def venue(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[rs.RecordedVenue]:
    binance = rs.recorded_venue(monkeypatch, "binance")
    _markets_as_ccxt_builds_them(monkeypatch)
    binance.session.on("GET", r"/api/v3/exchangeInfo$", {"rateLimits": RATE_LIMITS})
    yield binance
    await binance.gateway.close()


def _markets_as_ccxt_builds_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The recorded markets with precision as ccxt 4 derives it (from LOT_SIZE stepSize and
    PRICE_FILTER tickSize): the file holds an older ccxt's decimal places (3, 2), which
    ccxt.binance, in tick-size mode, would take for ticks of 3 and 2 and refuse 0.5 LTC."""
    markets: dict[str, Any] = json.loads(json.dumps(rs.recorded("binance")["markets"]))
    for market in markets.values():
        filters = {f["filterType"]: f for f in market["info"]["filters"]}
        # Changed: precision.amount/price, to the tick sizes ccxt.binance.parse_market sets.
        market["precision"]["amount"] = float(filters["LOT_SIZE"]["stepSize"])
        market["precision"]["price"] = float(filters["PRICE_FILTER"]["tickSize"])

    rs.use_markets(monkeypatch, "binance", markets)


def open_order(client_id: str = VENUE_ID) -> dict[str, Any]:
    """GET /api/v3/order's recorded body, turned into our resting order."""
    order: dict[str, Any] = rs.body("binance", "fetch_order_spot_closed")
    # Changed: our id and a resting LIMIT sell of 0.5 LTC at 69.39 (recorded: a filled MARKET).
    order.update(
        clientOrderId=client_id,
        type="LIMIT",
        price="69.39000000",
        origQty="0.50000000",
        executedQty="0.00000000",
        cummulativeQuoteQty="0.00000000",
        status="NEW",
    )
    return order


def partial_order() -> dict[str, Any]:
    order = open_order()
    # Changed: the order of the recorded fills, partly filled by both (0.2 + 0.173 of 0.5).
    order.update(
        orderId="3784695242",
        executedQty="0.37300000",
        cummulativeQuoteQty="25.93047000",
        status="PARTIALLY_FILLED",
    )
    return order


def fills() -> list[dict[str, Any]]:
    spot = rs.body("binance", "fetch_my_trades_spot")[0]
    later = rs.body("binance", "fetch_my_trades_spot_portfolio_margin")[0]
    # Changed: the second recorded LTCUSDT sell fill (same myTrades fields) filled our order too.
    later["orderId"] = spot["orderId"]
    return [spot, later]


def placed_order() -> dict[str, Any]:
    order: dict[str, Any] = rs.body("binance", "create_order_spot_limit")
    # Changed: our symbol, id, amount and price (recorded: a SOLUSDT buy of 0.05 at 241).
    order.update(
        symbol="LTCUSDT",
        clientOrderId=VENUE_ID,
        price="69.39000000",
        origQty="0.50000000",
        side="SELL",
    )
    return order


async def place(venue: rs.RecordedVenue, canonical: str = CANONICAL) -> Any:
    return await venue.gateway.place_limit_order(
        LimitOrder(SYMBOL, "sell", Decimal("0.5"), Decimal("69.39"), canonical)
    )


def calls(venue: rs.RecordedVenue) -> list[str]:
    """The order requests sent, in order, as "METHOD path"."""
    return [f"{s.method} {s.path}" for s in venue.session.sent if s.path.endswith("/order")]


# ----------------------------------------------------------------- placement


async def test_a_lost_placement_is_found_by_client_id_and_not_placed_again(
    venue: rs.RecordedVenue,
) -> None:
    book: list[dict[str, Any]] = []

    def accept_then_lose(sent: rs.Sent) -> rs.Reply:
        book.append(open_order(sent.params["newClientOrderId"]))
        raise rs.LostResponse

    def query(sent: rs.Sent) -> rs.Reply:
        found = [o for o in book if o["clientOrderId"] == sent.params.get("origClientOrderId")]
        return rs.Reply(found[0]) if found else NOT_FOUND

    venue.session.on("POST", ORDER, accept_then_lose)
    venue.session.on("GET", ORDER, query)

    order = await place(venue)

    posts = venue.session.requests("POST", ORDER)
    assert len(posts) == 1
    assert posts[0].params["newClientOrderId"] == PROFILE.venue_client_id(CANONICAL)
    assert posts[0].params["newClientOrderId"] == CANONICAL  # spot accepts ours unchanged
    assert posts[0].params["type"] == "LIMIT"
    assert (posts[0].params["quantity"], posts[0].params["price"]) == ("0.5", "69.39")
    lookups = venue.session.requests("GET", ORDER)
    assert [s.params["origClientOrderId"] for s in lookups] == [VENUE_ID]
    assert "orderId" not in lookups[0].params
    assert len(book) == 1
    assert (order.client_order_id, order.venue_order_id) == (CANONICAL, "3397148653")
    assert (order.status, order.amount, order.filled) == ("open", Decimal("0.5"), 0)


async def test_an_id_spot_refuses_is_sent_as_its_digest_and_returned_as_ours(
    venue: rs.RecordedVenue,
) -> None:
    canonical = "rb-0a1b2c3d-7-LTC/USDT-0"  # '/' is futures' charset, not spot's
    digest = "rb" + hashlib.sha256(canonical.encode()).hexdigest()[:34]

    def accept(sent: rs.Sent) -> rs.Reply:
        reply = placed_order()
        reply["clientOrderId"] = sent.params["newClientOrderId"]  # Changed: the id sent
        return rs.Reply(reply)

    venue.session.on("POST", ORDER, accept)

    order = await place(venue, canonical)

    assert venue.session.requests("POST", ORDER)[0].params["newClientOrderId"] == digest
    assert PROFILE.client_ids.accepts(digest)
    assert not PROFILE.client_ids.accepts(canonical)
    assert order.client_order_id == canonical


async def test_a_duplicate_client_id_resolves_to_the_existing_order(
    venue: rs.RecordedVenue,
) -> None:
    venue.session.on("POST", ORDER, DUPLICATE)
    venue.session.on("GET", ORDER, rs.Reply(open_order()))

    order = await place(venue)

    assert calls(venue) == ["POST /api/v3/order", "GET /api/v3/order"]
    assert venue.session.requests("GET", ORDER)[0].params["origClientOrderId"] == VENUE_ID
    assert (order.client_order_id, order.venue_order_id) == (CANONICAL, "3397148653")


async def test_maintenance_then_success_is_placed_once_after_a_lookup(
    venue: rs.RecordedVenue,
) -> None:
    answers = [MAINTENANCE, rs.Reply(placed_order())]
    venue.session.on("POST", ORDER, lambda sent: answers.pop(0))
    venue.session.on("GET", ORDER, NOT_FOUND)

    order = await place(venue)

    assert calls(venue) == ["POST /api/v3/order", "GET /api/v3/order", "POST /api/v3/order"]
    ids = {s.params["newClientOrderId"] for s in venue.session.requests("POST", ORDER)}
    assert ids == {VENUE_ID}
    assert (order.client_order_id, order.venue_order_id) == (CANONICAL, "9780331417")
    assert (order.symbol, order.amount, order.price) == (SYMBOL, Decimal("0.5"), Decimal("69.39"))


@pytest.mark.parametrize(
    "unknown",
    [
        # -1007 TIMEOUT "Send status unknown; execution status unknown." ('-1007': RequestTimeout)
        rs.Reply(
            {
                "code": -1007,
                "msg": "Timeout waiting for response from backend server. Send status unknown;"
                " execution status unknown.",
            },
            status=503,
        ),
        # -1006 UNEXPECTED_RESP "Execution status unknown." ('-1006': OperationFailed)
        rs.Reply(
            {
                "code": -1006,
                "msg": "An unexpected response was received from the message bus. Execution"
                " status unknown.",
            },
            status=500,
        ),
    ],
    ids=["-1007", "-1006"],
)
async def test_an_unknown_outcome_that_placed_the_order_is_not_placed_again(
    venue: rs.RecordedVenue, unknown: rs.Reply
) -> None:
    book: list[dict[str, Any]] = []

    def accept_then_fail(sent: rs.Sent) -> rs.Reply:
        book.append(open_order())
        return unknown

    venue.session.on("POST", ORDER, accept_then_fail)
    venue.session.on("GET", ORDER, lambda sent: rs.Reply(book[0]) if book else NOT_FOUND)

    order = await place(venue)

    assert calls(venue) == ["POST /api/v3/order", "GET /api/v3/order"]
    assert order.client_order_id == CANONICAL


async def test_too_many_new_orders_is_rate_limited_and_each_retry_looks_up_first(
    venue: rs.RecordedVenue,
) -> None:
    venue.session.on("POST", ORDER, TOO_MANY_ORDERS)
    venue.session.on("GET", ORDER, NOT_FOUND)

    with pytest.raises(errors.RateLimited) as raised:
        await place(venue)

    assert raised.value.retryable
    post, get = "POST /api/v3/order", "GET /api/v3/order"
    assert calls(venue) == [post, get, post, get, post, get]


async def test_insufficient_funds_is_final_and_not_retried(venue: rs.RecordedVenue) -> None:
    venue.session.on("POST", ORDER, NO_FUNDS)

    with pytest.raises(errors.InsufficientFunds) as raised:
        await place(venue)

    assert not raised.value.retryable
    assert calls(venue) == ["POST /api/v3/order"]


# ------------------------------------------------------------ orders and fills


async def test_an_order_that_does_not_exist_is_none(venue: rs.RecordedVenue) -> None:
    venue.session.on("GET", ORDER, NOT_FOUND)

    assert await venue.gateway.fetch_order(SYMBOL, CANONICAL) is None

    (lookup,) = venue.session.requests("GET", ORDER)
    assert (lookup.params["symbol"], lookup.params["origClientOrderId"]) == ("LTCUSDT", VENUE_ID)


async def test_a_partial_fill_is_reconciled_and_a_cancel_keeps_the_filled_part(
    venue: rs.RecordedVenue,
) -> None:
    venue.session.on("GET", ORDER, rs.Reply(partial_order()))
    venue.session.on("GET", TRADES, fills())
    cancelled = partial_order()
    # Changed: DELETE answers with the order's fields, its status CANCELED, the order's id as
    # origClientOrderId and the cancel request's own id as clientOrderId (trading-endpoints doc).
    cancelled.update(
        status="CANCELED", origClientOrderId=VENUE_ID, clientOrderId="cancel-1", transactTime=1
    )
    venue.session.on("DELETE", ORDER, rs.Reply(cancelled))

    order = await venue.gateway.fetch_order(SYMBOL, CANONICAL)
    trades = await venue.gateway.trades(SYMBOL)
    final = await venue.gateway.cancel_order(SYMBOL, CANONICAL)

    assert order is not None
    assert (order.client_order_id, order.venue_order_id) == (CANONICAL, "3784695242")
    assert order.status == "open"
    assert (order.amount, order.filled) == (Decimal("0.50000000"), Decimal("0.37300000"))
    assert order.filled < order.amount
    assert order.average == div(Decimal("25.93047000"), Decimal("0.37300000"))

    assert [(t.trade_id, t.price, t.amount, t.fee, t.fee_asset) for t in trades] == [
        ("309520010", Decimal("69.63000000"), Decimal("0.20000000"), Decimal("0.01392600"), "USDT"),
        ("320530367", Decimal("69.39000000"), Decimal("0.17300000"), Decimal("0.01200447"), "USDT"),
    ]
    assert {(t.venue_order_id, t.client_order_id) for t in trades} == {("3784695242", CANONICAL)}
    assert {(t.side, t.taker_or_maker) for t in trades} == {("sell", "taker")}
    assert sum(t.amount for t in trades) == order.filled
    (listing,) = venue.session.requests("GET", TRADES)
    assert (listing.params["symbol"], listing.params["limit"]) == ("LTCUSDT", "1000")
    assert "startTime" not in listing.params

    (cancel,) = venue.session.requests("DELETE", ORDER)
    assert cancel.params["origClientOrderId"] == VENUE_ID
    assert "orderId" not in cancel.params
    assert (final.client_order_id, final.status, final.is_final) == (CANONICAL, "canceled", True)
    assert (final.amount, final.filled) == (order.amount, order.filled)
    # The cancel answered with the order: nothing was read after it.
    assert len(venue.session.requests("GET", ORDER)) == 1


async def test_cancelling_an_order_already_gone_reports_it_final(venue: rs.RecordedVenue) -> None:
    filled = partial_order()
    # Changed: by the time of the cancel the order had filled completely.
    filled.update(status="FILLED", executedQty="0.50000000")
    venue.session.on("DELETE", ORDER, UNKNOWN_ORDER)
    venue.session.on("GET", ORDER, rs.Reply(filled))

    final = await venue.gateway.cancel_order(SYMBOL, CANONICAL)

    assert (final.status, final.filled, final.client_order_id) == (
        "closed",
        Decimal("0.50000000"),
        CANONICAL,
    )


async def test_trades_page_forward_by_trade_id(
    venue: rs.RecordedVenue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(venue.gateway, "_profile", dataclasses.replace(PROFILE, trades_page=2))
    third = rs.body("binance", "fetch_my_trades_spot")[0]
    # Changed: a third fill, later than the two recorded ones.
    third.update(id="320530400", time="1706694300000")

    def pages(sent: rs.Sent) -> rs.Reply:
        return rs.Reply(fills() if "fromId" not in sent.params else [third])

    venue.session.on("GET", TRADES, pages)
    since = datetime(2023, 10, 1, tzinfo=UTC)

    trades = await venue.gateway.trades(SYMBOL, since)

    assert [t.trade_id for t in trades] == ["309520010", "320530367", "320530400"]
    first, second = venue.session.requests("GET", TRADES)
    start_ms = str(int(since.timestamp()) * 1000)
    assert (first.params["startTime"], first.params["limit"]) == (start_ms, "2")
    assert "fromId" not in first.params
    assert (second.params["fromId"], second.params["limit"]) == ("320530368", "2")
    assert "startTime" not in second.params


# --------------------------------------------------------- account and market


async def test_balances_are_exact_decimals(venue: rs.RecordedVenue) -> None:
    venue.session.on("GET", ACCOUNT, rs.body("binance", "fetch_balance_spot"))

    balances = await venue.gateway.balances()

    assert balances == {
        "LTC": Balance(asset="LTC", free=Decimal("0.91974100"), locked=Decimal("0.00000000")),
        "ETH": Balance(asset="ETH", free=Decimal("0.02229833"), locked=Decimal("0.00000000")),
    }


async def test_the_order_book_is_exact_and_asked_at_an_accepted_depth(
    venue: rs.RecordedVenue,
) -> None:
    venue.session.on("GET", r"/api/v3/depth$", rs.body("binance", "fetch_order_book_spot"))

    book = await venue.gateway.order_book("BTC/USDT", limit=2)

    (request,) = venue.session.requests("GET", r"/api/v3/depth$")
    assert (request.params["symbol"], request.params["limit"]) == ("BTCUSDT", "5")
    assert int(request.params["limit"]) in binance_weights.BOOK_LIMITS
    rs.assert_book(
        book,
        bids=[("42574.30000000", "0.01070000"), ("42574.20000000", "0.00646000")],
        asks=[("42574.31000000", "0.00870000"), ("42574.80000000", "0.00893000")],
    )


async def test_markets_parse_to_the_recorded_filters_and_fees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The recorded markets exactly as the harness loads them.
    venue = rs.recorded_venue(monkeypatch, "binance")
    venue.session.on("GET", r"/api/v3/exchangeInfo$", {"rateLimits": RATE_LIMITS})
    try:
        rules = await venue.gateway.markets()
    finally:
        await venue.gateway.close()

    assert set(rules) == {"BTC/USDT", "ETH/USDT", "LTC/USDT"}
    ltc = rules["LTC/USDT"]
    assert (ltc.base, ltc.quote) == ("LTC", "USDT")
    assert (ltc.tick_size, ltc.step_size) == (Decimal("0.01"), Decimal("0.001"))
    assert (ltc.min_qty, ltc.min_notional) == (Decimal("0.00100000"), Decimal("5.00000000"))
    assert (ltc.maker_fee, ltc.taker_fee) == (Decimal("0.001"), Decimal("0.001"))
    assert (rules["BTC/USDT"].step_size, rules["BTC/USDT"].min_qty) == (
        Decimal("0.00001"),
        Decimal("0.00001000"),
    )
    assert rules["ETH/USDT"].step_size == Decimal("0.0001")
    # exchangeInfo was read once, for its rate limits, and sized the venue's buckets.
    assert len(venue.session.requests("GET", r"/api/v3/exchangeInfo$")) == 1
    assert venue.gateway.limiter.limits == VenueLimits(
        weight=6000, weight_window=60.0, orders=100, order_window=10.0
    )


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("reply", "expected", "retryable"),
    [
        # -1003 TOO_MANY_REQUESTS with HTTP 429 (ccxt: 429 -> DDoSProtection).
        (
            rs.Reply(
                {
                    "code": -1003,
                    "msg": "Too much request weight used; current limit is 6000 request weight"
                    " per 1 MINUTE. Please use WebSocket Streams for live updates to avoid"
                    " polling the API.",
                },
                status=429,
                headers={"Retry-After": "1"},
            ),
            errors.RateLimited,
            True,
        ),
        (MAINTENANCE, errors.VenueUnavailable, True),
        # '-1008': OperationFailed  # SERVER_BUSY (spot)
        (
            rs.Reply(
                {
                    "code": -1008,
                    "msg": "Server is currently overloaded with other requests. Please try"
                    " again in a few minutes.",
                },
                status=503,
            ),
            errors.VenueUnavailable,
            True,
        ),
        # '-1001': OperationFailed  # DISCONNECTED
        (
            rs.Reply(
                {
                    "code": -1001,
                    "msg": "Internal error; unable to process your request. Please try again.",
                },
                status=500,
            ),
            errors.VenueUnavailable,
            True,
        ),
        # '-2015': AuthenticationError (HTTP 401)
        (
            rs.Reply(
                {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
                status=401,
            ),
            errors.AuthenticationFailed,
            False,
        ),
        # '-2014': AuthenticationError
        (
            rs.Reply({"code": -2014, "msg": "API-key format invalid."}, status=401),
            errors.AuthenticationFailed,
            False,
        ),
        # '-1022': AuthenticationError
        (
            rs.Reply(
                {"code": -1022, "msg": "Signature for this request is not valid."}, status=400
            ),
            errors.AuthenticationFailed,
            False,
        ),
    ],
    ids=["-1003", "maintenance", "-1008", "-1001", "-2015", "-2014", "-1022"],
)
async def test_errors_are_classified_as_binance_means_them(
    venue: rs.RecordedVenue, reply: rs.Reply, expected: type[errors.VenueError], retryable: bool
) -> None:
    raised = await rs.balances_error(venue, "GET", ACCOUNT, reply, expected)

    assert raised.retryable is retryable
    # A Retry-After longer than the gateway may wait pauses the venue: nothing is re-sent
    # within it, and the caller (Temporal's retry) comes back later.
    waits = "Retry-After" in reply.headers
    assert len(venue.session.requests("GET", ACCOUNT)) == (3 if retryable and not waits else 1)
    assert (venue.gateway.limiter.pause_remaining() > 0) is waits


async def test_an_ip_ban_is_rate_limited_until_the_ban_ends(venue: rs.RecordedVenue) -> None:
    until_ms = int((time.time() + 120) * 1000)
    # HTTP 418 with -1003's ban message (errors doc), Retry-After in seconds (limits doc).
    ban = rs.Reply(
        {
            "code": -1003,
            "msg": f"Way too much request weight used; IP banned until {until_ms}. Please"
            " use WebSocket Streams for live updates to avoid bans.",
        },
        status=418,
        headers={"Retry-After": "120"},
    )

    raised = await rs.balances_error(venue, "GET", ACCOUNT, ban, errors.RateLimited)

    assert raised.retry_after is not None
    assert 100 < raised.retry_after <= 120


@pytest.mark.parametrize("whose", ["someone-else", "ours"])
async def test_an_unreadable_open_order_stops_only_our_own_reconcile(
    venue: rs.RecordedVenue, whose: str
) -> None:
    # Changed: a second open order with no quantity at all, placed by hand ("web_...", as
    # Binance names orders from its website) or under one of our ids.
    odd = open_order("web_4f1c2d" if whose == "someone-else" else VENUE_ID.replace("0", "9"))
    odd["origQty"] = "0.00000000"
    venue.session.on("GET", r"/api/v3/openOrders$", [open_order(), odd])

    if whose == "ours":
        with pytest.raises(errors.MalformedResponse):
            await venue.gateway.open_orders("LTC/USDT")
    else:
        (listed,) = await venue.gateway.open_orders("LTC/USDT")
        assert listed.client_order_id == VENUE_ID
