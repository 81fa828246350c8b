"""OKX spot through the real gateway on stock ccxt, answered with OKX's recorded bodies.

Bodies come from ``recorded/okx.json`` (ccxt's static-test recordings). Error bodies OKX
sends but ccxt did not record are built here in OKX's wire format (compact JSON, top-level
``code``/``msg``, per-order ``sCode``/``sMsg`` in ``data``), each citing where it is quoted.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from rebalancer.domain.orders import client_order_id
from rebalancer.venue import errors
from rebalancer.venue.models import LimitOrder
from rebalancer.venue.profiles import okx
from tests.venue import recorded_session as rs

D = Decimal
SYMBOL = "LTC/USDT"
CANONICAL = client_order_id("alice", 7, "LTC", 0)
VENUE_ID = okx.PROFILE.venue_client_id(CANONICAL)
ORDER_ID = "1339107111507525632"  # ordId of the recorded fetchOrder body
BUY = LimitOrder(SYMBOL, "buy", D("0.25"), D("101.58"), CANONICAL)

ORDER = r"^/api/v5/trade/order$"
CANCEL = r"^/api/v5/trade/cancel-order$"
FILLS = r"^/api/v5/trade/fills-history$"
BALANCE = r"^/api/v5/account/balance$"
BOOK = r"^/api/v5/market/books$"
TICKERS = r"^/api/v5/market/tickers$"


def venue(monkeypatch: pytest.MonkeyPatch, **options: Any) -> rs.RecordedVenue:
    return rs.recorded_venue(monkeypatch, "okx", api_passphrase="recorded-passphrase", **options)


def wire(payload: Any, status: int = 200) -> rs.Reply:
    """A body as OKX writes it: compact JSON (ccxt quotes OKX errors this way, okx.py
    ``exceptions`` 51010/51155 and ``handle_errors``)."""
    return rs.Reply(json.dumps(payload, separators=(",", ":")), status=status)


def failure(code: str, msg: str, status: int = 200) -> rs.Reply:
    """A top-level error, ``{"code":...,"data":[],"msg":...}`` (OKX error-code table)."""
    return wire({"code": code, "data": [], "msg": msg}, status)


def order_failure(s_code: str, s_msg: str) -> rs.Reply:
    """A failed order operation: ``code "1"`` and the reason in ``data[0]``, shaped as the
    body ccxt quotes for 51155 in okx.py ``exceptions``."""
    return wire(
        {
            "code": "1",
            "data": [
                {
                    "clOrdId": VENUE_ID,
                    "ordId": "",
                    "sCode": s_code,
                    "sMsg": s_msg,
                    "tag": "",
                    "ts": "1753979177157",
                }
            ],
            "inTime": "1753979177157408",
            "msg": "All operations failed",
            "outTime": "1753979177157874",
        }
    )


# 51603 "Order does not exist" (OKX error codes; ccxt okx.py exceptions: OrderNotFound).
NOT_FOUND = failure("51603", "Order does not exist")
RATE_LIMITED = failure("50011", "Too Many Requests", 429)  # body seen in ccxt issue #18901
MAINTENANCE = failure("50001", "Service temporarily unavailable. Please try again later", 503)
BUSY = failure("50013", "Systems are busy. Please try again later.", 429)
ENDPOINT_TIMEOUT = failure("50004", "API endpoint request timeout ", 400)  # python-okx issue #2


def ack() -> dict[str, Any]:
    reply: dict[str, Any] = rs.body("okx", "create_order")
    reply["data"][0]["clOrdId"] = VENUE_ID  # our id, not ccxt's generated broker id
    reply["data"][0]["tag"] = ""  # we send no broker tag, so none is echoed
    return reply


def our_order(state: str, filled: str, size: str = "0.25") -> dict[str, Any]:
    """The recorded spot order as our resting limit order: ``state``, ``filled`` of ``size``."""
    reply: dict[str, Any] = rs.body("okx", "fetch_order")
    row = reply["data"][0]
    row["clOrdId"] = VENUE_ID  # the order was placed under our id
    row["tag"] = ""  # and without a broker tag
    row["ordType"] = "limit"  # recorded as a market order; ours rest on the book
    row["px"] = "101.58"  # a limit order has its price (the recorded fill price)
    row["sz"] = size  # larger than the recorded 0.1 so that 0.1 filled is a partial fill
    row["state"] = state
    row["accFillSz"] = filled
    return reply


async def test_lost_placement_is_found_by_client_id_and_never_placed_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rv = venue(monkeypatch)
    live: list[rs.Sent] = []

    def place(sent: rs.Sent) -> rs.Reply:
        live.append(sent)  # OKX accepted the order ...
        raise rs.LostResponse  # ... and the reply never came back

    def lookup(sent: rs.Sent) -> rs.Reply:
        if not live or sent.params.get("clOrdId") != VENUE_ID:
            return NOT_FOUND
        return rs.Reply(our_order("live", "0"))

    rv.session.on("POST", ORDER, place)
    rv.session.on("GET", ORDER, lookup)

    order = await rv.gateway.place_limit_order(BUY)

    placements = rv.session.requests("POST", ORDER)
    assert len(placements) == 1
    sent = placements[0].params
    assert sent["clOrdId"] == VENUE_ID
    assert len(VENUE_ID) <= 32
    assert VENUE_ID.isalnum()
    assert "tag" not in sent  # ccxt added neither its broker tag nor its own id
    assert (sent["instId"], sent["tdMode"], sent["ordType"]) == ("LTC-USDT", "cash", "limit")
    assert (sent["side"], sent["sz"], sent["px"]) == ("buy", "0.25", "101.58")
    lookups = rv.session.requests("GET", ORDER)
    assert [(s.params["instId"], s.params["clOrdId"]) for s in lookups] == [("LTC-USDT", VENUE_ID)]
    assert (order.client_order_id, order.venue_order_id) == (CANONICAL, ORDER_ID)
    assert (order.status, order.amount, order.filled) == ("open", D("0.25"), D("0"))


async def test_duplicate_client_id_resolves_to_the_existing_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rv = venue(monkeypatch)
    # 51016 "Duplicated clOrdId" (OKX error codes; ccxt okx.py exceptions: InvalidOrder).
    rv.session.on("POST", ORDER, order_failure("51016", "Duplicated clOrdId"))
    rv.session.on("GET", ORDER, rs.Reply(our_order("partially_filled", "0.1")))

    order = await rv.gateway.place_limit_order(BUY)

    assert len(rv.session.requests("POST", ORDER)) == 1
    assert [s.params["clOrdId"] for s in rv.session.requests("GET", ORDER)] == [VENUE_ID]
    assert (order.client_order_id, order.venue_order_id) == (CANONICAL, ORDER_ID)
    assert (order.status, order.filled) == ("open", D("0.1"))


async def test_duplicate_marker_is_the_order_code_not_digits_of_an_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rv = venue(monkeypatch)
    refusal = order_failure("51006", "Order price is not within the price limit")
    refusal_body = json.loads(refusal.body)
    refusal_body["data"][0]["ts"] = "1751016000000"  # a timestamp that contains 51016
    rv.session.on("POST", ORDER, wire(refusal_body))
    rv.session.on("GET", ORDER, NOT_FOUND)

    with pytest.raises(errors.InvalidOrder) as refused:
        await rv.gateway.place_limit_order(BUY)

    assert not isinstance(refused.value, errors.DuplicateClientOrderId)
    assert rv.session.requests("GET", ORDER) == []


async def test_unknown_client_id_is_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    rv = venue(monkeypatch)
    rv.session.on("GET", ORDER, NOT_FOUND)

    assert await rv.gateway.fetch_order(SYMBOL, CANONICAL) is None

    asked = rv.session.requests("GET", ORDER)
    assert [(s.params["instId"], s.params["clOrdId"]) for s in asked] == [("LTC-USDT", VENUE_ID)]


async def test_partial_fill_reconciles_with_trades_and_survives_cancel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rv = venue(monkeypatch)
    state = {"order": our_order("partially_filled", "0.1")}
    rv.session.on("GET", ORDER, lambda _: rs.Reply(state["order"]))
    fills = rs.body("okx", "fetch_my_trades")
    fills["data"][0]["ordId"] = ORDER_ID  # the recorded fill, as a fill of our order
    rv.session.on("GET", FILLS, rs.Reply(fills))

    def cancel(sent: rs.Sent) -> rs.Reply:
        state["order"] = our_order("canceled", "0.1")
        # The cancel acknowledgement ccxt quotes in okx.py cancel_order: ids only.
        return wire(
            {
                "code": "0",
                "data": [{"clOrdId": VENUE_ID, "ordId": ORDER_ID, "sCode": "0", "sMsg": ""}],
                "msg": "",
            }
        )

    rv.session.on("POST", CANCEL, cancel)

    order = await rv.gateway.fetch_order(SYMBOL, CANONICAL)
    assert order is not None
    assert (order.status, order.amount, order.filled) == ("open", D("0.25"), D("0.1"))
    assert order.filled < order.amount

    trades = await rv.gateway.trades(SYMBOL)
    assert len(trades) == 1
    fill = trades[0]
    assert (fill.trade_id, fill.venue_order_id, fill.client_order_id) == (
        "56181695",
        ORDER_ID,
        CANONICAL,
    )
    assert (fill.side, fill.price, fill.amount) == ("buy", D("67.84"), D("0.1"))
    # OKX writes a fee paid as a negative number ("-0.0001"); it is a cost of 0.0001 LTC.
    assert (fill.fee, fill.fee_asset, fill.taker_or_maker) == (D("0.0001"), "LTC", "taker")
    assert sum((t.amount for t in trades), D(0)) == order.filled
    asked = rv.session.requests("GET", FILLS)[0].params
    assert (asked["instType"], asked["instId"], asked["limit"]) == ("SPOT", "LTC-USDT", "100")

    canceled = await rv.gateway.cancel_order(SYMBOL, CANONICAL)
    assert canceled.is_final
    assert (canceled.status, canceled.filled, canceled.amount) == ("canceled", D("0.1"), D("0.25"))
    cancel_sent = rv.session.requests("POST", CANCEL)
    assert len(cancel_sent) == 1
    assert cancel_sent[0].params == {"instId": "LTC-USDT", "clOrdId": VENUE_ID}


async def test_trades_page_back_by_bill_id_and_skip_none(monkeypatch: pytest.MonkeyPatch) -> None:
    rv = venue(monkeypatch)
    recorded_fill = rs.body("okx", "fetch_my_trades")["data"][0]

    def fill(n: int) -> dict[str, Any]:
        # Fill n of 101, made from the recorded one: ids and times advanced by n.
        row = dict(recorded_fill)
        row["billId"] = str(int(recorded_fill["billId"]) + n)
        row["tradeId"] = str(int(recorded_fill["tradeId"]) + n)
        row["ts"] = str(int(recorded_fill["ts"]) + 1000 * n)
        return row

    newest_first = [fill(n) for n in range(100, -1, -1)]
    pages = {None: newest_first[:100], newest_first[99]["billId"]: newest_first[100:]}

    def page(sent: rs.Sent) -> rs.Reply:
        reply = rs.body("okx", "fetch_my_trades")
        reply["data"] = pages[sent.params.get("after")]
        return rs.Reply(reply)

    rv.session.on("GET", FILLS, page)
    since = datetime.fromtimestamp(int(recorded_fill["ts"]) / 1000 - 1, tz=UTC)

    trades = await rv.gateway.trades(SYMBOL, since)

    assert [t.trade_id for t in trades] == [fill(n)["tradeId"] for n in range(101)]
    asked = [s.params for s in rv.session.requests("GET", FILLS)]
    since_ms = str(int(since.timestamp() * 1000))
    assert [(p.get("begin"), p.get("after")) for p in asked] == [
        (since_ms, None),
        (since_ms, fill(1)["billId"]),
    ]


async def test_balances_and_book_are_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    rv = venue(monkeypatch)
    rv.session.on("GET", BALANCE, rs.Reply(rs.body("okx", "fetch_balance")))
    rv.session.on("GET", BOOK, rs.Reply(rs.body("okx", "fetch_order_book")))

    balances = await rv.gateway.balances()
    # Free is availEq; locked is the rest of eq (ccxt subtracts the venue's decimal strings).
    assert (balances["BTC"].free, balances["BTC"].locked) == (
        D("0.6612664522199999"),
        D("0.4000000000000001"),
    )
    assert balances["BTC"].total == D("1.06126645222")
    assert (balances["LTC"].free, balances["LTC"].locked) == (D("10.19979"), D("0.1"))
    assert balances["USDC"].free == D("2973.521")

    book = await rv.gateway.order_book("BTC/USDT", 2)
    rs.assert_book(
        book,
        bids=[("67973.3", "0.05"), ("67973.2", "0.00725939")],
        asks=[("67973.4", "1.40848059"), ("67975.9", "0.08292002")],
    )
    await rv.gateway.order_book("BTC/USDT", 1000)
    depths = [(s.params["instId"], s.params["sz"]) for s in rv.session.requests("GET", BOOK)]
    # market/books accepts sz up to 400; a deeper ask is capped, never sent as is.
    assert depths == [("BTC-USDT", "2"), ("BTC-USDT", "400")]


async def test_quotes_come_from_one_spot_tickers_read(monkeypatch: pytest.MonkeyPatch) -> None:
    rv = venue(monkeypatch)
    # The recorded market/ticker body has market/tickers' shape (a list of ticker rows).
    rv.session.on("GET", TICKERS, rs.Reply(rs.body("okx", "fetch_ticker")))

    quotes = await rv.gateway.quotes(["BTC/USDT"])

    assert (quotes["BTC/USDT"].bid, quotes["BTC/USDT"].ask) == (D("73384.7"), D("73384.8"))
    assert [s.params for s in rv.session.requests("GET", TICKERS)] == [{"instType": "SPOT"}]


@pytest.mark.parametrize(
    ("reply", "expected", "retryable"),
    [
        (RATE_LIMITED, errors.RateLimited, True),
        (MAINTENANCE, errors.VenueUnavailable, True),
        # OKX answers 429 when busy too (ccxt issue #9612): the code, not the status, says
        # whether it is the rate limit.
        (BUSY, errors.VenueUnavailable, True),
        (ENDPOINT_TIMEOUT, errors.VenueNetworkError, True),
        (failure("50111", "Invalid OK-ACCESS-KEY", 401), errors.AuthenticationFailed, False),
        (failure("50113", "Invalid signature", 401), errors.AuthenticationFailed, False),
    ],
    ids=[
        "50011-rate-limit",
        "50001-maintenance",
        "50013-busy",
        "50004-outcome-unknown",
        "50111-bad-key",
        "50113-bad-sign",
    ],
)
async def test_errors_are_classified_as_okx_means_them(
    monkeypatch: pytest.MonkeyPatch,
    reply: rs.Reply,
    expected: type[errors.VenueError],
    retryable: bool,
) -> None:
    rv = venue(monkeypatch, max_attempts=1)

    raised = await rs.balances_error(rv, "GET", BALANCE, reply, expected)

    assert raised.retryable is retryable


async def test_insufficient_balance_is_final_and_not_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rv = venue(monkeypatch)
    # 51008: OKX's "Order failed. Insufficient {param0} balance in account".
    rv.session.on(
        "POST", ORDER, order_failure("51008", "Order failed. Insufficient USDT balance in account")
    )

    with pytest.raises(errors.InsufficientFunds) as refused:
        await rv.gateway.place_limit_order(BUY)

    assert refused.value.retryable is False
    assert len(rv.session.requests("POST", ORDER)) == 1
    assert rv.session.requests("GET", ORDER) == []


@pytest.mark.parametrize(
    ("first", "acted", "expected_calls"),
    [
        # Maintenance: OKX did not take the order; the lookup says so, then it is placed.
        pytest.param(MAINTENANCE, False, ["POST", "GET", "POST"], id="50001-maintenance"),
        # Endpoint timeout "does not indicate success or failure" (okx.py exceptions): the
        # order may exist; the lookup finds it and nothing is sent again.
        pytest.param(ENDPOINT_TIMEOUT, True, ["POST", "GET"], id="50004-outcome-unknown"),
    ],
)
async def test_failed_placement_is_looked_up_before_placing_again(
    monkeypatch: pytest.MonkeyPatch, first: rs.Reply, acted: bool, expected_calls: list[str]
) -> None:
    rv = venue(monkeypatch)
    orders: list[str] = []

    def place(sent: rs.Sent) -> rs.Reply:
        if len(rv.session.requests("POST", ORDER)) == 1:
            if acted:
                orders.append(sent.params["clOrdId"])
            return first
        orders.append(sent.params["clOrdId"])
        return rs.Reply(ack())

    def lookup(sent: rs.Sent) -> rs.Reply:
        if sent.params["clOrdId"] in orders:
            return rs.Reply(our_order("live", "0"))
        return NOT_FOUND

    rv.session.on("POST", ORDER, place)
    rv.session.on("GET", ORDER, lookup)

    order = await rv.gateway.place_limit_order(BUY)

    assert orders == [VENUE_ID]  # one order at the venue
    calls = [s.method for s in rv.session.sent if s.path == "/api/v5/trade/order"]
    assert calls == expected_calls
    assert {s.params["clOrdId"] for s in rv.session.sent} == {orders[0]}
    assert (order.client_order_id, order.status, order.amount) == (CANONICAL, "open", D("0.25"))


async def test_markets_parse_to_okx_filters_and_fees(monkeypatch: pytest.MonkeyPatch) -> None:
    rv = venue(monkeypatch)

    markets = await rv.gateway.markets()

    assert sorted(markets) == ["BTC/USDT", "ETH/USDT", "LTC/USDT"]
    expected = {
        "BTC/USDT": (D("0.1"), D("0.00000001"), D("0.00001")),
        "ETH/USDT": (D("0.01"), D("0.000001"), D("0.0001")),
        "LTC/USDT": (D("0.01"), D("0.000001"), D("0.01")),
    }
    for symbol, (tick, step, minimum) in expected.items():
        rules = markets[symbol]
        info = rs.recorded("okx")["markets"][symbol]["info"]
        assert (rules.tick_size, rules.step_size, rules.min_qty) == (tick, step, minimum)
        # The same numbers OKX wrote in the instrument (tickSz, lotSz, minSz).
        assert (D(info["tickSz"]), D(info["lotSz"]), D(info["minSz"])) == (tick, step, minimum)
        assert rules.min_notional == 0  # OKX spot instruments declare no minimum notional
        assert (rules.maker_fee, rules.taker_fee) == (D("0.001"), D("0.0015"))
    assert rv.session.sent == []  # markets came from the recording, not a request


@pytest.mark.parametrize(
    ("placed", "refused"),
    [(True, False), (False, True)],
    ids=["placed-despite-the-error", "not-placed"],
)
async def test_an_unexplained_refusal_is_looked_up_before_it_is_final(
    monkeypatch: pytest.MonkeyPatch, placed: bool, refused: bool
) -> None:
    rv = venue(monkeypatch)
    live: list[rs.Sent] = []

    def place(sent: rs.Sent) -> rs.Reply:
        if placed:
            live.append(sent)
        # 51149 "Order timed out, please try again later": not in ccxt's okx exceptions, so
        # a plain ExchangeError; the order may or may not be on the book.
        return order_failure("51149", "Order timed out, please try again later.")

    def lookup(sent: rs.Sent) -> rs.Reply:
        return rs.Reply(our_order("live", "0")) if live else NOT_FOUND

    rv.session.on("POST", ORDER, place)
    rv.session.on("GET", ORDER, lookup)

    if refused:
        with pytest.raises(errors.FinalVenueError):
            await rv.gateway.place_limit_order(BUY)
    else:
        order = await rv.gateway.place_limit_order(BUY)
        assert (order.client_order_id, order.venue_order_id) == (CANONICAL, ORDER_ID)
    assert len(rv.session.requests("POST", ORDER)) == 1
    assert len(rv.session.requests("GET", ORDER)) == 1
