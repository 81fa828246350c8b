"""Coinbase Advanced Trade through the real gateway on stock ccxt, answered with recorded
bodies (``recorded/coinbase.json``): placement exactly once across lost replies, refusals and
outages; the client-id scan; partial fills, fills paging and cancel; balances, book, quotes,
error classes and market rules as exact Decimals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from rebalancer.domain.orders import client_order_id
from rebalancer.venue import errors
from rebalancer.venue.models import LimitOrder
from rebalancer.venue.profiles.coinbase import PROFILE
from tests.venue import recorded_session as rs

D = Decimal
VENUE = "coinbase"
SYMBOL = "ADA/USDT"
CANONICAL = client_order_id("acct-coinbase", 7, "ADA", 0)
# The recorded ADA-USDT order; the recorded fill belongs to it.
ORDER_ID = "01b6e467-b659-432f-9490-c7cefe949564"

ORDERS = r"^/api/v3/brokerage/orders$"
LIST_ORDERS = r"^/api/v3/brokerage/orders/historical/batch$"
FILLS = r"^/api/v3/brokerage/orders/historical/fills$"
CANCEL = r"^/api/v3/brokerage/orders/batch_cancel$"
ACCOUNTS = r"^/api/v3/brokerage/accounts$"

# Coinbase's documented 429 body (coinbase-app/api-architecture/rate-limiting); ccxt's exact
# map: 'rate_limit_exceeded': RateLimitExceeded.
RATE_LIMITED = rs.Reply(
    {"errors": [{"id": "rate_limit_exceeded", "message": "Too many requests"}]}, status=429
)
# Documented error ids (ccxt's exact map quotes them): 'authentication_error' 401 "Invalid
# auth (generic)", 'internal_server_error' 500.
BAD_AUTH = rs.Reply(
    {"errors": [{"id": "authentication_error", "message": "invalid signature"}]}, status=401
)
SERVER_ERROR = rs.Reply(
    {"errors": [{"id": "internal_server_error", "message": "Internal server error"}]}, status=500
)
UNAVAILABLE = rs.Reply("Service Unavailable", status=503)


@pytest.fixture
async def cb(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[rs.RecordedVenue]:
    venue = rs.recorded_venue(monkeypatch, VENUE)
    yield venue
    await venue.gateway.close()


def our_order(
    client_id: str, *, status: str = "OPEN", amount: str = "25", filled: bool = False
) -> dict[str, Any]:
    """The recorded ADA-USDT order made ours: a GTC limit sell of ``amount`` ADA at the
    recorded fill price, under our client id, with the recorded fill kept when ``filled``."""
    order: dict[str, Any] = rs.body(VENUE, "list_orders_filled")["orders"][0]
    # Ours is a resting limit order, not the recorded market order.
    order["order_configuration"] = {
        "limit_limit_gtc": {"base_size": amount, "limit_price": "0.392", "post_only": False}
    }
    order.update(order_type="LIMIT", time_in_force="GOOD_UNTIL_CANCELLED")
    order.update(client_order_id=client_id, status=status)  # ours, in the state under test
    if not filled:
        # Nothing filled yet: the recorded fill's figures zeroed.
        order.update(filled_size="0", average_filled_price="0", filled_value="0")
        order.update(number_of_fills="0", total_fees="0", completion_percentage="0")
    return order


def failure(reason: str, message: str, preview: str | None = None) -> dict[str, Any]:
    """The recorded HTTP 200 failure body with another documented failure reason."""
    refused: dict[str, Any] = rs.body(VENUE, "create_order_failed")
    refused["error_response"] = {
        "error": reason,
        "message": message,
        "error_details": "",
        "new_order_failure_reason": reason,
    }
    if preview is not None:
        refused["error_response"]["preview_failure_reason"] = preview
    return refused


def ack(client_id: str, order_id: str = ORDER_ID) -> dict[str, Any]:
    reply: dict[str, Any] = rs.body(VENUE, "create_order")
    # Our order's ids in the recorded acknowledgement (recorded: an LTC-BTC sell).
    reply["order_id"] = order_id
    reply["success_response"].update(
        order_id=order_id, product_id="ADA-USDT", side="SELL", client_order_id=client_id
    )
    return reply


class FakeCoinbase:
    """The venue's orders, listed as List Orders does (filtered by ``order_status``)."""

    def __init__(self, session: rs.RecordedSession) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        session.on("GET", LIST_ORDERS, self.list_orders)
        session.on("POST", CANCEL, self.cancel)

    def list_orders(self, sent: rs.Sent) -> rs.Reply:
        status = sent.params.get("order_status")
        page: dict[str, Any] = rs.body(VENUE, "list_orders_filled")
        # The venue's current orders in place of the recorded one, on a single page.
        page["orders"] = [o for o in self.orders.values() if status in (None, o["status"])]
        page.update(has_next=False, cursor="")
        return rs.Reply(page)

    def cancel(self, sent: rs.Sent) -> rs.Reply:
        (order_id,) = sent.params["order_ids"]
        for order in self.orders.values():
            if order["order_id"] == order_id:
                order["status"] = "CANCELLED"
        reply: dict[str, Any] = rs.body(VENUE, "cancel_orders")
        reply["results"][0]["order_id"] = order_id  # the order cancelled here
        return rs.Reply(reply)

    def accept(self, sent: rs.Sent) -> rs.Reply:
        client_id = sent.params["client_order_id"]
        self.orders[client_id] = our_order(client_id)
        return rs.Reply(ack(client_id))

    def accept_then_lose(self, sent: rs.Sent) -> rs.Reply:
        self.accept(sent)
        raise rs.LostResponse


def fills_page(fills: list[dict[str, Any]], cursor: str) -> dict[str, Any]:
    page: dict[str, Any] = rs.body(VENUE, "fetch_my_trades")
    page.update(fills=fills, cursor=cursor)  # another page of the recorded shape
    return page


async def place(venue: rs.RecordedVenue) -> Any:
    return await venue.gateway.place_limit_order(
        LimitOrder(SYMBOL, "sell", D("25"), D("0.392"), CANONICAL)
    )


# ----------------------------------------------------------------- client ids


def test_canonical_id_is_sent_unchanged_and_others_are_digested() -> None:
    assert PROFILE.venue_client_id(CANONICAL) == CANONICAL
    mapped = PROFILE.venue_client_id("rb-0a1b2c3d-7-USDC.E-0")
    assert mapped.startswith("rb")
    assert len(mapped) == 36
    assert PROFILE.client_ids.accepts(mapped)
    assert mapped == PROFILE.venue_client_id("rb-0a1b2c3d-7-USDC.E-0")


# ----------------------------------------------------------------- placement


async def test_lost_placement_is_found_by_client_id_and_never_placed_twice(
    cb: rs.RecordedVenue,
) -> None:
    venue = FakeCoinbase(cb.session)
    cb.session.on("POST", ORDERS, venue.accept_then_lose)

    order = await place(cb)

    posts = cb.session.requests("POST", ORDERS)
    assert len(posts) == 1
    # Our id, not ccxt's "ccxt-<uuid>": the raw client_order_id field overrides it.
    assert posts[0].params["client_order_id"] == PROFILE.venue_client_id(CANONICAL)
    assert posts[0].params["order_configuration"] == {
        "limit_limit_gtc": {"base_size": "25", "limit_price": "0.392", "post_only": False}
    }
    assert (order.client_order_id, order.venue_order_id) == (CANONICAL, ORDER_ID)
    assert (order.status, order.amount, order.filled) == ("open", D("25"), D("0"))
    scan = cb.session.requests("GET", LIST_ORDERS)
    assert scan[0].params["order_status"] == "OPEN"
    assert scan[0].params["product_id"] == "ADA-USDT"


async def test_post_only_reaches_the_limit_configuration(cb: rs.RecordedVenue) -> None:
    venue = FakeCoinbase(cb.session)
    cb.session.on("POST", ORDERS, venue.accept)
    await cb.gateway.place_limit_order(
        LimitOrder(SYMBOL, "sell", D("25"), D("0.392"), CANONICAL, post_only=True)
    )
    (post,) = cb.session.requests("POST", ORDERS)
    assert post.params["order_configuration"]["limit_limit_gtc"]["post_only"] is True


async def test_duplicate_client_id_refusal_resolves_to_the_existing_order(
    cb: rs.RecordedVenue,
) -> None:
    venue = FakeCoinbase(cb.session)
    venue.orders[CANONICAL] = our_order(CANONICAL)
    # DUPLICATE_CLIENT_ORDER_ID: Coinbase's new-order failure reason for a client id in use.
    cb.session.on("POST", ORDERS, failure("DUPLICATE_CLIENT_ORDER_ID", ""))

    order = await place(cb)

    assert len(cb.session.requests("POST", ORDERS)) == 1
    assert (order.client_order_id, order.venue_order_id, order.status) == (
        CANONICAL,
        ORDER_ID,
        "open",
    )


async def test_reused_client_id_answered_with_the_existing_order_places_nothing(
    cb: rs.RecordedVenue,
) -> None:
    """Documented: with a client id it has seen, Coinbase creates nothing and returns the
    order that has it (success, its order_id). The acknowledgement carries ids only, so the
    gateway reports the order as asked; its fills are one read away."""
    venue = FakeCoinbase(cb.session)
    venue.orders[CANONICAL] = our_order(CANONICAL, filled=True)
    cb.session.on("POST", ORDERS, ack(CANONICAL))

    order = await place(cb)

    assert len(cb.session.requests("POST", ORDERS)) == 1
    assert (order.venue_order_id, order.filled) == (ORDER_ID, D("0"))
    found = await cb.gateway.fetch_order(SYMBOL, CANONICAL)
    assert found is not None
    assert found.filled == D("10")


async def test_placement_after_an_outage_looks_up_first_and_places_once(
    cb: rs.RecordedVenue,
) -> None:
    venue = FakeCoinbase(cb.session)
    replies = iter([UNAVAILABLE])

    def outage_then_accept(sent: rs.Sent) -> rs.Reply:
        return next(replies, None) or venue.accept(sent)

    cb.session.on("POST", ORDERS, outage_then_accept)

    order = await place(cb)

    trail = [(s.method, s.path, s.params.get("order_status")) for s in cb.session.sent]
    assert trail == [
        ("POST", "/api/v3/brokerage/orders", None),
        ("GET", "/api/v3/brokerage/orders/historical/batch", "OPEN"),
        ("GET", "/api/v3/brokerage/orders/historical/batch", None),
        ("POST", "/api/v3/brokerage/orders", None),
    ]
    posts = cb.session.requests("POST", ORDERS)
    assert {p.params["client_order_id"] for p in posts} == {CANONICAL}
    assert list(venue.orders) == [CANONICAL]
    assert (order.venue_order_id, order.status) == (ORDER_ID, "open")


# ----------------------------------------------------------------- lookup


async def test_unknown_client_id_is_none_after_scanning_open_and_recent_orders(
    cb: rs.RecordedVenue,
) -> None:
    FakeCoinbase(cb.session)

    assert await cb.gateway.fetch_order(SYMBOL, CANONICAL) is None

    open_scan, recent_scan = cb.session.requests("GET", LIST_ORDERS)
    assert open_scan.params["order_status"] == "OPEN"
    # Every status, not ccxt's fetch_closed_orders (FILLED only): a cancelled order with
    # fills must be found too.
    assert "order_status" not in recent_scan.params
    assert open_scan.params["limit"] == recent_scan.params["limit"] == str(PROFILE.scan_limit)


# ----------------------------------------------------------------- fills


async def test_partial_fill_is_reconciled_and_cancel_keeps_the_filled_part(
    cb: rs.RecordedVenue,
) -> None:
    venue = FakeCoinbase(cb.session)
    venue.orders[CANONICAL] = our_order(CANONICAL, filled=True)
    recorded = rs.body(VENUE, "fetch_my_trades")
    cb.session.on(
        "GET",
        FILLS,
        lambda sent: rs.Reply(fills_page([], "") if "cursor" in sent.params else recorded),
    )

    order = await cb.gateway.fetch_order(SYMBOL, CANONICAL)
    assert order is not None
    assert (order.status, order.amount, order.filled) == ("open", D("25"), D("10"))
    assert order.filled < order.amount
    assert order.average == D("0.392")

    trades = await cb.gateway.trades(SYMBOL)
    (fill,) = trades
    assert (fill.price, fill.amount, fill.fee, fill.fee_asset) == (
        D("0.392"),
        D("10"),
        D("0.03136"),
        "USDT",
    )
    assert (fill.venue_order_id, fill.client_order_id) == (ORDER_ID, CANONICAL)
    assert sum(t.amount for t in trades) == order.filled
    first, following = cb.session.requests("GET", FILLS)
    assert first.params["product_id"] == "ADA-USDT"
    assert "cursor" not in first.params
    assert following.params["cursor"] == "114994851"

    cancelled = await cb.gateway.cancel_order(SYMBOL, CANONICAL)

    (cancel,) = cb.session.requests("POST", CANCEL)
    assert cancel.params == {"order_ids": [ORDER_ID]}
    assert (cancelled.status, cancelled.filled, cancelled.amount) == ("canceled", D("10"), D("25"))
    assert cancelled.is_final


async def test_fills_follow_the_venue_cursor_and_skip_none(cb: rs.RecordedVenue) -> None:
    first = rs.body(VENUE, "fetch_my_trades")
    later = dict(first["fills"][0])
    # A second fill of the same order on the next page: new ids, 15 more, a second later.
    later.update(trade_id="29fc7eee-f4b4-40a7-8104-033da1db5311", entry_id="e" * 64)
    later.update(size="15", trade_time="2023-11-26T10:19:48.504Z", cursor="114994852")
    pages = {None: first, "114994851": fills_page([later], "114994852")}
    cb.session.on(
        "GET",
        FILLS,
        lambda sent: rs.Reply(pages.get(sent.params.get("cursor"), fills_page([], ""))),
    )

    trades = await cb.gateway.trades(SYMBOL)

    assert [t.amount for t in trades] == [D("10"), D("15")]
    cursors = [s.params.get("cursor") for s in cb.session.requests("GET", FILLS)]
    assert cursors == [None, "114994851", "114994852"]


# ----------------------------------------------------------------- reads


async def test_balances_read_every_v3_accounts_page_as_exact_decimals(
    cb: rs.RecordedVenue,
) -> None:
    usdc = rs.body(VENUE, "accounts_v3")
    # A funded wallet with part of it held by open orders (recorded: all zero), more pages.
    usdc["accounts"][0]["available_balance"]["value"] = "1250.5000000000000000"
    usdc["accounts"][0]["hold"]["value"] = "9.8000000000000000"
    usdc.update(has_next=True, cursor="next-page")
    ada = rs.body(VENUE, "accounts_v3")
    wallet = ada["accounts"][0]
    # The second page: an ADA wallet holding the recorded fill's 10 ADA.
    wallet.update(uuid="22222222-2222-2222-2222-222222222222", name="ADA Wallet", currency="ADA")
    wallet["available_balance"] = {"value": "10.0000000000000000", "currency": "ADA"}
    wallet["hold"] = {"value": "0.0000000000000000", "currency": "ADA"}
    cb.session.on("GET", ACCOUNTS, lambda sent: rs.Reply(ada if "cursor" in sent.params else usdc))

    balances = await cb.gateway.balances()

    assert (balances["USDC"].free, balances["USDC"].locked) == (D("1250.5"), D("9.8"))
    assert (balances["ADA"].free, balances["ADA"].locked) == (D("10"), D("0"))
    first, second = cb.session.requests("GET", ACCOUNTS)
    assert first.params["limit"] == "250"
    assert second.params["cursor"] == "next-page"
    assert not [s for s in cb.session.sent if s.path.startswith("/v2/")]


async def test_order_book_asks_an_accepted_depth_and_parses_exactly(cb: rs.RecordedVenue) -> None:
    cb.session.on("GET", r"^/api/v3/brokerage/market/product_book$", rs.body(VENUE, "product_book"))

    book = await cb.gateway.order_book("BTC/USDT", 20)

    (request,) = cb.session.sent
    assert request.params == {"product_id": "BTC-USDT", "limit": str(PROFILE.book_limit(20))}
    assert request.params["limit"] == "20"
    rs.assert_book(book, bids=[("30757.85", "0.115")], asks=[("30759.07", "0.04877659")])


async def test_quotes_come_from_one_best_bid_ask_request(cb: rs.RecordedVenue) -> None:
    recorded = rs.body(VENUE, "best_bid_ask")
    recorded["pricebooks"][0]["product_id"] = "ADA-USDT"  # recorded for TRAC-EUR
    cb.session.on("GET", r"^/api/v3/brokerage/best_bid_ask$", recorded)

    quotes = await cb.gateway.quotes([SYMBOL])

    assert (quotes[SYMBOL].bid, quotes[SYMBOL].ask) == (D("0.2384"), D("0.2406"))
    (request,) = cb.session.sent
    assert request.params == {"product_ids": "ADA-USDT"}


async def test_markets_parse_to_exact_rules(cb: rs.RecordedVenue) -> None:
    markets = await cb.gateway.markets()
    ada, btc = markets["ADA/USDT"], markets["BTC/USDC"]
    assert (ada.tick_size, ada.step_size, ada.min_qty, ada.min_notional) == (
        D("0.0001"),
        D("0.01"),
        D("0.01"),
        D("1"),
    )
    assert (btc.tick_size, btc.step_size, btc.min_qty) == (D("0.01"), D("1E-8"), D("1E-8"))
    assert (ada.maker_fee, ada.taker_fee) == (D("0.006"), D("0.012"))
    assert not cb.session.sent


# ----------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("reply", "kind", "retryable"),
    [
        pytest.param(RATE_LIMITED, errors.RateLimited, True, id="429-rate-limit"),
        pytest.param(UNAVAILABLE, errors.VenueUnavailable, True, id="503-unavailable"),
        pytest.param(SERVER_ERROR, errors.VenueUnavailable, True, id="500-server-error"),
        pytest.param(BAD_AUTH, errors.AuthenticationFailed, False, id="401-bad-credentials"),
    ],
)
async def test_read_errors_are_classified_as_coinbase_means_them(
    cb: rs.RecordedVenue, reply: rs.Reply, kind: type[errors.VenueError], retryable: bool
) -> None:
    raised = await rs.balances_error(cb, "GET", ACCOUNTS, reply, kind)

    assert raised.retryable is retryable
    # A final error is not worth sending again; a retryable one is, up to the three attempts.
    assert len(cb.session.requests("GET", ACCOUNTS)) == (3 if retryable else 1)


async def test_insufficient_funds_is_final_and_not_looked_up(cb: rs.RecordedVenue) -> None:
    FakeCoinbase(cb.session)
    # ccxt's map: 'PREVIEW_INSUFFICIENT_FUND' -> InsufficientFunds, and its broad match
    # 'Insufficient balance in source account' quotes the message.
    refusal = failure(
        "INSUFFICIENT_FUND", "Insufficient balance in source account", "PREVIEW_INSUFFICIENT_FUND"
    )
    cb.session.on("POST", ORDERS, refusal)

    with pytest.raises(errors.InsufficientFunds) as raised:
        await place(cb)

    assert not raised.value.retryable
    assert len(cb.session.requests("POST", ORDERS)) == 1
    assert not cb.session.requests("GET", LIST_ORDERS)


@pytest.mark.parametrize("filled_meanwhile", [False, True], ids=["still-open", "filled"])
async def test_a_refused_cancel_is_retried_while_the_order_is_open(
    cb: rs.RecordedVenue, filled_meanwhile: bool
) -> None:
    venue = FakeCoinbase(cb.session)
    venue.orders[CANONICAL] = our_order(CANONICAL)

    def refuse(sent: rs.Sent) -> rs.Reply:
        # The per-order failure ccxt quotes in coinbase.py (cancel_orders), which ccxt turns
        # into BadRequest: e.g. a cancel already queued, or an order that just filled.
        reply: dict[str, Any] = rs.body(VENUE, "cancel_orders")
        reply["results"][0].update(
            success=False, failure_reason="UNKNOWN_CANCEL_FAILURE_REASON", order_id=ORDER_ID
        )
        if filled_meanwhile:
            venue.orders[CANONICAL] = our_order(CANONICAL, status="FILLED", filled=True)
        return rs.Reply(reply)

    cb.session.on("POST", CANCEL, refuse)

    if filled_meanwhile:
        order = await cb.gateway.cancel_order(SYMBOL, CANONICAL)
        assert (order.status, order.client_order_id) == ("closed", CANONICAL)
    else:
        with pytest.raises(errors.VenueUnavailable) as refused:
            await cb.gateway.cancel_order(SYMBOL, CANONICAL)
        assert refused.value.retryable
