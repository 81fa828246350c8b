"""Kraken spot through the real gateway on stock ccxt, answered with recorded Kraken bodies.

Bodies come from ``recorded/kraken.json``: ccxt's static-test recordings, and the response
examples of Kraken's API reference where ccxt recorded none (trade history, extended
balance, depth, a partially filled order). Error bodies are built here in Kraken's format,
HTTP 200 with ``{"error": ["<severity><category>:<message>"]}``, as ccxt quotes them in
kraken.py ``exceptions`` (e.g. ``{"error":["EQuery:Unknown asset"]}``), with the messages of
Kraken's error guide (https://docs.kraken.com/api/docs/guides/spot-errors).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from activities import Deps, Reconcile
from rebalancer.domain.orders import client_order_id
from rebalancer.ledger.records import OrderRecord
from rebalancer.pipeline.messages import AccountRef, ReconcileRequest
from rebalancer.venue import errors, rate_limit
from rebalancer.venue.models import LimitOrder
from rebalancer.venue.pool import GatewayPool
from rebalancer.venue.profiles import kraken
from tests.venue import recorded_session as rs
from tests.workflows.memory_ledger import MemoryLedger

D = Decimal
SYMBOL = "LTC/USDT"
CANONICAL = client_order_id("alice", 7, "LTC", 0)
VENUE_ID = kraken.PROFILE.venue_client_id(CANONICAL)
ORDER_ID = "OR6EGN-KQSEG-AMI6CL"  # txid of the recorded fetchOrder body (LTC/USDT)
PARTIAL_ID = "OQCLML-BW3P3-BUCMWZ"  # txid of the documented partially filled order (BTC/USD)
# Ours as the recorded fetchOrder body has it: a buy of 0.1 LTC at 50 USDT.
BUY = LimitOrder(SYMBOL, "buy", D("0.1"), D("50"), CANONICAL)

ADD = r"^/0/private/AddOrder$"
OPEN = r"^/0/private/OpenOrders$"
CLOSED = r"^/0/private/ClosedOrders$"
CANCEL = r"^/0/private/CancelOrder$"
TRADES = r"^/0/private/TradesHistory$"
BALANCE = r"^/0/private/BalanceEx$"
DEPTH = r"^/0/public/Depth$"
TICKER = r"^/0/public/Ticker$"


@pytest.fixture
async def rv(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[rs.RecordedVenue]:
    # The profile's budget sustains under one private call in three seconds; let the whole
    # bucket be burst so that tests do not wait it out. No test here is about pacing.
    monkeypatch.setattr(rate_limit, "BURST_FRACTION", 1.0)
    venue = rs.recorded_venue(monkeypatch, "kraken")
    yield venue
    await venue.gateway.close()


def failure(message: str) -> rs.Reply:
    """A refused request: HTTP 200 and the message in ``error`` (kraken.py ``exceptions``)."""
    return rs.Reply({"error": [message]})


def open_orders(rows: dict[str, Any]) -> dict[str, Any]:
    """An OpenOrders answer (shape of the recorded fetchOpenOrders body)."""
    return {"error": [], "result": {"open": rows}}


def closed_orders(rows: dict[str, Any]) -> dict[str, Any]:
    """A ClosedOrders answer: ``closed`` by txid and ``count`` (get-closed-orders docs)."""
    return {"error": [], "result": {"closed": rows, "count": len(rows)}}


def ours(row: dict[str, Any]) -> dict[str, Any]:
    row["cl_ord_id"] = VENUE_ID  # the order was placed under our id ...
    row["userref"] = None  # ... which excludes a userref (ccxt's cl_ord_id row has null)
    return row


def our_order() -> dict[str, Any]:
    """The recorded open LTC/USDT limit order (0.1 at 50, post-only) as ours."""
    return ours(rs.body("kraken", "fetch_order")["result"][ORDER_ID])


def our_partial_order() -> dict[str, Any]:
    """The documented BTC/USD order (1.25 at 30010.0) as ours, filled by the two documented
    fills of 0.02 and 0.01."""
    row = ours(rs.body("kraken", "open_orders_partial")["result"]["open"][PARTIAL_ID])
    # Changed: the pair's id, not its altname XBTUSD (the altname is tested on its own).
    row["descr"]["pair"] = "XXBTZUSD"
    row["vol_exec"] = "0.03000000"  # documented 0.375; the documented fills add up to 0.03
    row["cost"] = "900.30000"  # and cost 600.2 + 300.1
    return row


def ack() -> dict[str, Any]:
    reply: dict[str, Any] = rs.body("kraken", "create_order")
    # Recorded for a market order; ours is a limit one, described as AddOrder's docs show.
    reply["result"]["descr"]["order"] = "buy 0.10000000 LTCUSDT @ limit 50.00000"
    return reply


# ----------------------------------------------------------------------------- client id


def test_client_ids_are_free_text_when_they_fit_and_uuid_digests_otherwise() -> None:
    rule = kraken.PROFILE.client_ids
    assert len(CANONICAL) > 18
    assert re.fullmatch(kraken.LONG_UUID, VENUE_ID)
    short = client_order_id("al", 1, "X", 0)  # 17 characters: Kraken's free-text form
    assert kraken.PROFILE.venue_client_id(short) == short
    assert not rule.accepts("a" * 19)
    assert rule.accepts("6d1b345e-2821-40e2-ad83-4ecb18a06876")  # the documented examples
    assert rule.accepts("da8e4ad59b78481c93e589746b0cf91f")
    assert rule.accepts("arb-20240509-00010")


# --------------------------------------------------------------------- exactly-once placing


async def test_lost_placement_is_found_by_client_id_and_never_placed_twice(
    rv: rs.RecordedVenue,
) -> None:
    booked: list[rs.Sent] = []

    def add(sent: rs.Sent) -> rs.Reply:
        booked.append(sent)  # Kraken booked the order ...
        raise rs.LostResponse  # ... and the reply never came back

    def lookup(sent: rs.Sent) -> rs.Reply:
        found = booked and sent.params.get("cl_ord_id") == VENUE_ID
        return rs.Reply(open_orders({ORDER_ID: our_order()} if found else {}))

    rv.session.on("POST", ADD, add)
    rv.session.on("POST", OPEN, lookup)
    rv.session.on("POST", CLOSED, closed_orders({}))

    order = await rv.gateway.place_limit_order(
        LimitOrder(SYMBOL, "buy", D("0.1"), D("50"), CANONICAL, post_only=True)
    )

    placements = rv.session.requests("POST", ADD)
    assert len(placements) == 1
    assert placements[0].params["cl_ord_id"] == VENUE_ID
    assert placements[0].params["pair"] == "LTCUSDT"
    assert placements[0].params["oflags"] == "post"
    assert "userref" not in placements[0].params
    lookups = rv.session.requests("POST", OPEN)
    assert lookups
    assert all(s.params["cl_ord_id"] == VENUE_ID for s in lookups)
    assert order.client_order_id == CANONICAL
    assert order.venue_order_id == ORDER_ID
    assert order.status == "open"
    assert (order.amount, order.filled) == (D("0.10000000"), D(0))


@pytest.mark.parametrize(
    "message",
    # Kraken documents no message for a cl_ord_id already open; these are the two forms
    # other Kraken clients match on, both under the profile's marker.
    ["EOrder:Duplicate order", "EOrder:Duplicate cl_ord_id"],
)
async def test_duplicate_client_id_resolves_to_the_existing_order(
    rv: rs.RecordedVenue, message: str
) -> None:
    rv.session.on("POST", ADD, failure(message))
    rv.session.on("POST", OPEN, open_orders({ORDER_ID: our_order()}))

    order = await rv.gateway.place_limit_order(BUY)

    assert len(rv.session.requests("POST", ADD)) == 1
    assert order.client_order_id == CANONICAL
    assert order.venue_order_id == ORDER_ID


async def test_maintenance_then_success_is_placed_once_after_a_lookup(
    rv: rs.RecordedVenue,
) -> None:
    answers = [failure("EService:Unavailable"), rs.Reply(ack())]
    rv.session.on("POST", ADD, lambda sent: answers.pop(0))
    rv.session.on("POST", OPEN, open_orders({}))
    rv.session.on("POST", CLOSED, closed_orders({}))

    order = await rv.gateway.place_limit_order(BUY)

    paths = [s.path.rsplit("/", 1)[-1] for s in rv.session.sent]
    assert paths == ["AddOrder", "OpenOrders", "ClosedOrders", "AddOrder"]
    assert {s.params["cl_ord_id"] for s in rv.session.requests("POST", ADD)} == {VENUE_ID}
    assert order.venue_order_id == "OL7LNO-R4SAD-6UINEU"
    assert (order.client_order_id, order.amount, order.price) == (CANONICAL, D("0.1"), D(50))


# ---------------------------------------------------------------------------- lookups


async def test_an_order_kraken_does_not_have_is_none(rv: rs.RecordedVenue) -> None:
    rv.session.on("POST", OPEN, open_orders({}))
    rv.session.on("POST", CLOSED, closed_orders({}))

    assert await rv.gateway.fetch_order(SYMBOL, CANONICAL) is None

    for path in (OPEN, CLOSED):
        (sent,) = rv.session.requests("POST", path)
        assert sent.params["cl_ord_id"] == VENUE_ID
        assert "userref" not in sent.params


async def test_orders_tagged_userref_0_are_never_taken_for_ours(
    rv: rs.RecordedVenue,
) -> None:
    # As if the filter were ignored: recorded rows that ccxt reports with clientOrderId "0",
    # and the documented ones with userref 0 and 45326.
    foreign = rs.body("kraken", "fetch_open_orders")["result"]["open"]
    foreign |= rs.body("kraken", "open_orders_partial")["result"]["open"]
    rv.session.on("POST", OPEN, open_orders(foreign))
    rv.session.on(
        "POST",
        CLOSED,
        closed_orders({ORDER_ID: rs.body("kraken", "fetch_order")["result"][ORDER_ID]}),
    )

    assert await rv.gateway.fetch_order(SYMBOL, CANONICAL) is None
    assert await rv.gateway.fetch_order(SYMBOL, client_order_id("al", 0, "X", 0)) is None


async def test_an_order_on_an_altname_pair_is_found_under_its_symbol(
    rv: rs.RecordedVenue,
) -> None:
    # The documented row as Kraken sends it: descr.pair is the altname XBTUSD.
    row = ours(rs.body("kraken", "open_orders_partial")["result"]["open"][PARTIAL_ID])
    rv.session.on("POST", OPEN, open_orders({PARTIAL_ID: row}))

    order = await rv.gateway.fetch_order("BTC/USD", CANONICAL)

    assert order is not None
    assert (order.venue_order_id, order.client_order_id) == (PARTIAL_ID, CANONICAL)
    assert order.symbol == "BTC/USD"


async def test_an_unfilled_limit_order_reads_back_with_its_limit_price(
    rv: rs.RecordedVenue,
) -> None:
    rv.session.on("POST", OPEN, open_orders({ORDER_ID: our_order()}))

    order = await rv.gateway.fetch_order(SYMBOL, CANONICAL)

    assert order is not None
    assert order.price == D("50.00000")


# --------------------------------------------------------------- partial fill and cancel


def serve_our_partial_order(rv: rs.RecordedVenue) -> dict[str, Any]:
    """Kraken holding our partly filled order, with its documented fills, until a cancel
    closes it. Returns the order's row."""
    state = {"open": True}
    order_row = our_partial_order()

    def lookup_open(sent: rs.Sent) -> rs.Reply:
        return rs.Reply(open_orders({PARTIAL_ID: order_row} if state["open"] else {}))

    def lookup_closed(sent: rs.Sent) -> rs.Reply:
        if state["open"]:
            return rs.Reply(closed_orders({}))
        # Cancelled: status and close time as in ccxt's quoted ClosedOrders row.
        row = {**order_row, "status": "canceled", "reason": "User requested"}
        row["closetm"] = 1688667800.1234
        return rs.Reply(closed_orders({PARTIAL_ID: row}))

    def cancel(sent: rs.Sent) -> rs.Reply:
        state["open"] = False
        return rs.Reply({"error": [], "result": {"count": 1}})  # {count, pending} (cancel docs)

    rv.session.on("POST", OPEN, lookup_open)
    rv.session.on("POST", CLOSED, lookup_closed)
    rv.session.on("POST", CANCEL, cancel)
    rv.session.on("POST", TRADES, rs.body("kraken", "trades_history"))
    return order_row


async def test_a_partial_fill_is_reconciled_and_a_cancel_keeps_it(
    rv: rs.RecordedVenue,
) -> None:
    order_row = serve_our_partial_order(rv)

    order = await rv.gateway.fetch_order("BTC/USD", CANONICAL)
    assert order is not None
    assert order.amount == D(order_row["vol"])
    assert order.filled == D(order_row["vol_exec"])
    assert order.filled < order.amount
    assert order.status == "open"

    trades = await rv.gateway.trades("BTC/USD")
    documented = rs.body("kraken", "trades_history")["result"]["trades"]
    assert [t.trade_id for t in trades] == ["TCWJEG-FL4SZ-3FKGH6", "THVRQM-33VKH-UCI7BS"]
    for trade in trades:
        raw = documented[trade.trade_id]
        assert (trade.price, trade.amount) == (D(raw["price"]), D(raw["vol"]))
        assert (trade.fee, trade.fee_asset) == (D(raw["fee"]), "USD")
        assert trade.venue_order_id == PARTIAL_ID
        assert trade.client_order_id == CANONICAL
        assert trade.taker_or_maker == "maker"
        assert trade.symbol == "BTC/USD"
    assert sum((t.amount for t in trades), D(0)) == order.filled
    (history,) = rv.session.requests("POST", TRADES)
    assert "end" not in history.params  # one short page: the last

    cancelled = await rv.gateway.cancel_order("BTC/USD", CANONICAL)

    (sent,) = rv.session.requests("POST", CANCEL)
    assert sent.params["cl_ord_id"] == VENUE_ID
    assert "txid" not in sent.params
    assert cancelled.status == "canceled"
    assert cancelled.is_final
    assert cancelled.filled == D("0.03")
    assert cancelled.client_order_id == CANONICAL


async def test_cancelling_a_filled_order_reports_it_final(rv: rs.RecordedVenue) -> None:
    filled = {**our_order(), "status": "closed", "vol_exec": "0.10000000"}  # filled meanwhile
    # CancelOrder's refusal for an order no longer open (kraken.py cancel_order).
    rv.session.on("POST", CANCEL, failure("EOrder:Unknown order"))
    rv.session.on("POST", OPEN, open_orders({}))
    rv.session.on("POST", CLOSED, closed_orders({ORDER_ID: filled}))

    order = await rv.gateway.cancel_order(SYMBOL, CANONICAL)

    assert (order.status, order.filled) == ("closed", D("0.1"))
    assert len(rv.session.requests("POST", CANCEL)) == 1


# -------------------------------------------------------------------------- trade paging


def fill(trade_id: str, time: float) -> dict[str, Any]:
    """A fill shaped as the documented one, at another id and time."""
    row = dict(rs.body("kraken", "trades_history")["result"]["trades"]["THVRQM-33VKH-UCI7BS"])
    row["time"] = time
    return {trade_id: row}


async def test_trade_history_pages_back_from_the_oldest_trade_and_skips_none(
    rv: rs.RecordedVenue,
) -> None:
    # A full page of 50 newer fills (ids and times made up), newest first as Kraken sends.
    newer: dict[str, Any] = {}
    for n in range(50):
        newer |= fill(f"TPAGE{n:02d}-AAAAA-BBBBBB", 1688667900.0 - n)
    oldest = "TPAGE49-AAAAA-BBBBBB"
    older = rs.body("kraken", "trades_history")
    older["result"]["trades"] = fill(oldest, 1688667851.0) | older["result"]["trades"]

    def history(sent: rs.Sent) -> rs.Reply:
        if "end" not in sent.params:
            return rs.Reply({"error": [], "result": {"trades": newer, "count": 52}})
        return rs.Reply(older)  # ``end`` is inclusive: the cursor trade comes again

    rv.session.on("POST", TRADES, history)
    since = 1688667700_000

    trades = await rv.gateway.trades("BTC/USD", since=datetime.fromtimestamp(since / 1000, tz=UTC))

    first, second = rv.session.requests("POST", TRADES)
    assert first.params["start"] == second.params["start"] == str(since // 1000 - 1)
    assert second.params["end"] == oldest
    assert "ofs" not in second.params
    assert len(trades) == 52
    assert {t.trade_id for t in trades} >= {"TCWJEG-FL4SZ-3FKGH6", "THVRQM-33VKH-UCI7BS"}


async def test_trades_of_other_pairs_are_left_out(rv: rs.RecordedVenue) -> None:
    history = rs.body("kraken", "trades_history")
    other = fill("TOTHER-AAAAA-BBBBBB", 1688667700.0)
    other["TOTHER-AAAAA-BBBBBB"]["pair"] = "LTCUSDT"  # a fill on another pair, same page
    history["result"]["trades"] |= other
    rv.session.on("POST", TRADES, history)

    trades = await rv.gateway.trades("BTC/USD")

    assert {t.symbol for t in trades} == {"BTC/USD"}


# ------------------------------------------------------------------- balances, book, quotes


async def test_balances_parse_exactly(rv: rs.RecordedVenue) -> None:
    rv.session.on("POST", BALANCE, rs.body("kraken", "balance_ex"))

    balances = await rv.gateway.balances()

    # free = balance - hold_trade
    assert (balances["USD"].free, balances["USD"].locked) == (D("17185.45"), D("8249.76"))
    assert (balances["BTC"].free, balances["BTC"].locked) == (D("0.4012"), D("0.8423"))
    assert balances["BTC"].total == D("1.2435")
    assert len(rv.session.requests("POST", BALANCE)) == 1


@pytest.mark.parametrize(("levels", "count"), [(20, "20"), (1000, "500")])
async def test_order_book_parses_exactly_at_a_depth_kraken_accepts(
    rv: rs.RecordedVenue, levels: int, count: str
) -> None:
    rv.session.on("GET", DEPTH, rs.body("kraken", "depth"))

    book = await rv.gateway.order_book("BTC/USD", levels)

    (sent,) = rv.session.requests("GET", DEPTH)
    assert sent.params == {"pair": "XXBTZUSD", "count": count}
    rs.assert_book(
        book,
        bids=[("30297.00000", "1.115"), ("30296.70000", "2.002"), ("30289.80000", "5.001")],
        asks=[("30384.10000", "2.059"), ("30387.90000", "1.500"), ("30393.70000", "9.871")],
    )


async def test_quotes_come_from_one_ticker_request(rv: rs.RecordedVenue) -> None:
    rv.session.on("GET", TICKER, rs.body("kraken", "fetch_ticker"))

    quotes = await rv.gateway.quotes(["BTC/USDT", "LTC/USDT"])

    (sent,) = rv.session.requests("GET", TICKER)
    assert sent.params == {"pair": "XBTUSDT,LTCUSDT"}
    assert set(quotes) == {"BTC/USDT"}  # the recorded body has one pair
    quote = quotes["BTC/USDT"]
    assert (quote.bid, quote.ask, quote.last) == (D("73380.6"), D("73380.7"), D("73380.6"))


# -------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("EAPI:Rate limit exceeded", errors.RateLimited),
        ("EGeneral:Temporary lockout", errors.RateLimited),
        ("EService: Throttled: 1688667900", errors.RateLimited),
        ("EService:Unavailable", errors.VenueUnavailable),
        ("EService:Busy", errors.VenueUnavailable),
        ("EGeneral:Internal error", errors.VenueUnavailable),
        ("EAPI:Invalid key", errors.AuthenticationFailed),
        ("EAPI:Invalid signature", errors.AuthenticationFailed),
        # ccxt: PermissionDenied, an AuthenticationError: the key lacks a permission.
        ("EGeneral:Permission denied", errors.AuthenticationFailed),
    ],
)
async def test_errors_are_classified_as_kraken_means_them(
    rv: rs.RecordedVenue, message: str, kind: type[errors.VenueError]
) -> None:
    raised = await rs.balances_error(rv, "POST", BALANCE, failure(message), kind)

    assert type(raised) is kind
    tries = len(rv.session.requests("POST", BALANCE))
    if raised.retryable:
        assert tries == 3  # the gateway's attempts
    else:
        assert tries == 1


async def test_trading_rate_limit_on_a_placement_is_rate_limited(
    rv: rs.RecordedVenue,
) -> None:
    rv.session.on("POST", ADD, failure("EOrder:Rate limit exceeded"))
    rv.session.on("POST", OPEN, open_orders({}))
    rv.session.on("POST", CLOSED, closed_orders({}))

    with pytest.raises(errors.RateLimited) as raised:
        await rv.gateway.place_limit_order(BUY)

    assert raised.value.retryable
    # Every retry looked the id up first.
    assert len(rv.session.requests("POST", OPEN)) == len(rv.session.requests("POST", ADD))


async def test_insufficient_funds_is_final_and_placed_once(
    rv: rs.RecordedVenue,
) -> None:
    rv.session.on("POST", ADD, failure("EOrder:Insufficient funds"))

    with pytest.raises(errors.InsufficientFunds) as raised:
        await rv.gateway.place_limit_order(BUY)

    assert not raised.value.retryable
    assert [s.path for s in rv.session.sent] == ["/0/private/AddOrder"]


# ------------------------------------------------------------------------------- markets


async def test_markets_parse_to_the_recorded_filters_and_fees(
    rv: rs.RecordedVenue,
) -> None:

    rules = await rv.gateway.markets()

    assert set(rules) == {"BTC/USDT", "BTC/USD", "LTC/USDT"}
    btc = rules["BTC/USD"]
    assert (btc.base, btc.quote) == ("BTC", "USD")
    assert (btc.tick_size, btc.step_size, btc.min_qty) == (D("0.1"), D("1E-8"), D("0.0001"))
    assert (btc.maker_fee, btc.taker_fee) == (D("0.0016"), D("0.0026"))
    ltc = rules["LTC/USDT"]
    assert (ltc.tick_size, ltc.step_size, ltc.min_qty) == (D("0.00001"), D("1E-8"), D("0.08"))
    info = rs.recorded("kraken")["markets"]["LTC/USDT"]["info"]
    assert ltc.tick_size == D(info["tick_size"])
    assert ltc.min_qty == D(info["ordermin"])
    assert rv.session.sent == []  # markets came from the recording, no request


async def test_minimum_order_value_is_kraken_costmin(rv: rs.RecordedVenue) -> None:

    rules = await rv.gateway.markets()

    assert rules["BTC/USD"].min_notional == D("0.5")


async def test_the_reconcile_activity_recovers_a_lost_placement_once(rv: rs.RecordedVenue) -> None:
    """The workflow's own reconcile step, on Kraken: an order whose placement reply was lost
    (the ledger still says pending, from a cycle before a crash) is found by its client id,
    its partial fill recorded once under our id, and it is cancelled with the fill kept."""
    order_row = serve_our_partial_order(rv)
    ledger = MemoryLedger()
    deps = Deps(ledger=ledger, venues=GatewayPool(lambda account, venue: rv.gateway))
    account = AccountRef(account_id="alice", venue="kraken")
    placed_at = datetime(2023, 7, 6, tzinfo=UTC)
    await ledger.upsert_order(
        OrderRecord(
            client_order_id=CANONICAL,
            account_id="alice",
            cycle=7,
            venue="kraken",
            symbol="BTC/USD",
            side="buy",
            quantity=D(order_row["vol"]),
            limit_price=D(order_row["descr"]["price"]),
            status="pending",
            created_at=placed_at,
            updated_at=placed_at,
        )
    )
    request = ReconcileRequest(account=account, cycle=8, symbols=("BTC/USD",), cancel_stale=True)

    first = await Reconcile(deps).run(request)
    again = await Reconcile(deps).run(request)

    stored = ledger.orders[CANONICAL]
    assert (stored.status, stored.venue_order_id) == ("canceled", PARTIAL_ID)
    assert stored.filled_quantity == D("0.03")
    fills = sorted(ledger.fills.values(), key=lambda f: f.trade_id)
    assert [f.trade_id for f in fills] == ["TCWJEG-FL4SZ-3FKGH6", "THVRQM-33VKH-UCI7BS"]
    assert {f.client_order_id for f in fills} == {CANONICAL}
    assert sum((f.quantity for f in fills), D(0)) == stored.filled_quantity
    assert (first.new_fills, again.new_fills) == (2, 0)
    assert len(rv.session.requests("POST", CANCEL)) == 1
    assert rv.session.requests("POST", ADD) == []


async def test_one_history_read_serves_every_symbol_of_a_reconcile(rv: rs.RecordedVenue) -> None:
    # TradesHistory has no pair filter and costs twice a private call: reconcile's calls
    # per symbol, made together, share one read.
    rv.session.on("POST", TRADES, rs.body("kraken", "trades_history"))

    btc, ltc = await asyncio.gather(rv.gateway.trades("BTC/USD"), rv.gateway.trades(SYMBOL))

    assert len(rv.session.requests("POST", TRADES)) == 1
    assert {t.symbol for t in btc} == {"BTC/USD"}
    assert ltc == []
    await rv.gateway.trades("BTC/USD")
    assert len(rv.session.requests("POST", TRADES)) == 2  # a later call reads afresh
