"""The matching engine and the venue around it, in process, on a market that holds still."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rebalancer.paper.orders import OrderRejected, OrderRequest, PaperOrder, TimeInForce
from rebalancer.paper.venue import PaperVenue, build_venue
from tests.paper.market_doubles import T0, engine_of, fixed_venue, seconds

D = Decimal
SYMBOL = "BTC/USDT"


def funded(venue: PaperVenue, name: str = "a") -> str:
    venue.add_account(name, {"USDT": D("10000000"), "BTC": D("100")})
    return name


def limit(
    side: str, quantity: str | Decimal, price: Decimal, cid: str | None = None
) -> OrderRequest:
    return OrderRequest(
        SYMBOL, side, "limit", quantity=D(quantity), price=price, client_order_id=cid
    )  # type: ignore[arg-type]


def test_book_is_on_the_grids_and_uncrossed() -> None:
    venue, _ = fixed_venue()
    book = venue.book(SYMBOL, T0, 20)
    assert len(book.bids) == len(book.asks) == 20
    assert book.bids[0].price < D(42000) < book.asks[0].price
    for level in (*book.bids, *book.asks):
        assert level.price % D("2.00") == 0  # BTC's level spacing
        assert level.quantity % D("0.00001") == 0
        assert level.quantity > 0


def test_a_crossing_order_walks_the_book_one_trade_per_level() -> None:
    venue, _ = fixed_venue()
    account = funded(venue)
    asks = venue.book(SYMBOL, T0, 5).asks
    wanted = asks[0].quantity + asks[1].quantity + asks[2].quantity / 2
    wanted = wanted.quantize(D("0.00001"))

    order = venue.place_order(account, limit("buy", wanted, asks[2].price, "walk"), T0)

    assert order.status == "filled"
    assert [(f.price, f.liquidity) for f in order.fills] == [
        (asks[0].price, "taker"),
        (asks[1].price, "taker"),
        (asks[2].price, "taker"),
    ]
    assert [f.quantity for f in order.fills[:2]] == [asks[0].quantity, asks[1].quantity]
    assert sum(f.quantity for f in order.fills) == wanted
    assert len({f.trade_id for f in order.fills}) == 3


def test_a_limit_order_larger_than_the_levels_it_may_take_fills_partially_and_rests() -> None:
    venue, _ = fixed_venue()
    account = funded(venue)
    asks = venue.book(SYMBOL, T0, 5).asks
    reachable = asks[0].quantity + asks[1].quantity

    order = venue.place_order(account, limit("buy", reachable + D(3), asks[1].price, "big"), T0)

    assert order.status == "partially_filled"
    assert order.executed_quantity == reachable
    assert [f.price for f in order.fills] == [asks[0].price, asks[1].price]
    after = venue.book(SYMBOL, T0, 5)
    assert after.bids[0].price == asks[1].price
    assert after.bids[0].quantity >= D(3)
    assert after.asks[0].price > asks[1].price
    assert venue.open_orders(account) == [order]


def test_a_resting_order_fills_only_after_the_queue_ahead_is_consumed() -> None:
    venue, _ = fixed_venue()
    account = funded(venue)
    best = venue.book(SYMBOL, T0, 1).bids[0]

    first = venue.place_order(account, limit("buy", "0.5", best.price, "q1"), T0)
    second = venue.place_order(account, limit("buy", "0.5", best.price, "q2"), T0)

    assert first.queue_ahead == best.quantity
    assert second.queue_ahead == best.quantity + D("0.5")
    now, queue = T0, first.queue_ahead
    first_done = second_started = None
    for step in range(1, 3600):
        now = T0 + seconds(step)
        before = len(first.fills)
        venue.advance(now)
        assert first.queue_ahead <= queue, "a queue position never moves back"
        queue = first.queue_ahead
        if len(first.fills) > before:
            assert first.queue_ahead == 0, "fills only once nothing is ahead"
        if first.status == "filled" and first_done is None:
            first_done = step
        if second.fills and second_started is None:
            second_started = step
        if second.status == "filled":
            break
    assert first_done is not None
    assert second_started is not None
    assert second_started >= first_done, "time priority: the later order fills after"
    assert second.status == "filled"
    # Background flow averages 3000 USDT/s: eating a queue of several BTC takes minutes.
    assert first_done > 30
    assert all(f.liquidity == "maker" and f.price == best.price for f in first.fills)


def test_a_resting_order_the_market_moves_through_fills_whole_at_its_price() -> None:
    venue, path = fixed_venue()
    account = funded(venue)
    bid = venue.book(SYMBOL, T0, 3).bids[2].price
    order = venue.place_order(account, limit("buy", "2", bid, "deep"), T0)
    path.jumps[T0 + seconds(10)] = 41_800.0

    venue.advance(T0 + seconds(5))
    assert order.executed_quantity < 2
    venue.advance(T0 + seconds(12))

    assert order.status == "filled"
    assert {f.price for f in order.fills} == {bid}
    assert {f.liquidity for f in order.fills} == {"maker"}


def test_open_orders_lock_funds_and_cancel_releases_them() -> None:
    venue, _ = fixed_venue()
    venue.add_account("a", {"USDT": D("10000"), "BTC": D("1")})
    bid = venue.book(SYMBOL, T0, 10).bids[9].price
    ask = venue.book(SYMBOL, T0, 10).asks[9].price

    buy = venue.place_order("a", limit("buy", "0.1", bid, "b"), T0)
    sell = venue.place_order("a", limit("sell", "0.4", ask, "s"), T0)

    balances = venue.balances("a")
    assert balances["USDT"].locked == bid * D("0.1")
    assert balances["USDT"].free == D("10000") - bid * D("0.1")
    assert balances["BTC"].locked == D("0.4")
    venue.cancel_order("a", SYMBOL, T0, client_order_id="b")
    venue.cancel_order("a", SYMBOL, T0, order_id=sell.order_id)
    balances = venue.balances("a")
    assert (balances["USDT"].free, balances["USDT"].locked) == (D("10000"), 0)
    assert (balances["BTC"].free, balances["BTC"].locked) == (D("1"), 0)
    assert buy.status == sell.status == "canceled"
    with pytest.raises(OrderRejected) as refused:
        venue.cancel_order("a", SYMBOL, T0, client_order_id="b")
    assert refused.value.reason == "unknown_order"


def test_fees_come_out_of_what_the_trade_delivers() -> None:
    venue, _ = fixed_venue()
    venue.add_account("a", {"USDT": D("100000"), "BTC": D("1")})
    book = venue.book(SYMBOL, T0, 1)
    ask, bid = book.asks[0].price, book.bids[0].price

    buy = venue.place_order("a", limit("buy", "0.1", ask, "tb"), T0)
    sell = venue.place_order("a", limit("sell", "0.1", bid, "ts"), T0)

    assert buy.fills[0].fee == D("0.0001")
    assert buy.fills[0].fee_asset == "BTC"
    assert sell.fills[0].fee == (bid * D("0.1") * D("0.001")).quantize(D("1E-8"))
    assert sell.fills[0].fee_asset == "USDT"
    balances = venue.balances("a")
    assert balances["BTC"].free == D("1") + D("0.1") - D("0.0001") - D("0.1")
    assert (
        balances["USDT"].free == D("100000") - ask * D("0.1") + bid * D("0.1") - sell.fills[0].fee
    )
    assert balances["USDT"].locked == balances["BTC"].locked == 0


def test_the_venue_refuses_what_binance_refuses() -> None:
    venue, _ = fixed_venue()
    venue.add_account("a", {"USDT": D("1000"), "BTC": D("1")})
    bid = venue.book(SYMBOL, T0, 1).bids[0].price
    ask = venue.book(SYMBOL, T0, 1).asks[0].price
    cases = {
        "price_filter": limit("buy", "0.01", bid + D("0.001")),
        "lot_size": limit("buy", "0.000001", bid),
        "notional": limit("buy", "0.0001", bid),
        "insufficient_balance": limit("buy", "1", bid),
        "would_take": OrderRequest(SYMBOL, "buy", "limit_maker", quantity=D("0.001"), price=ask),
        "unknown_symbol": OrderRequest("DOGE/USDT", "buy", "limit", quantity=D(1), price=D(1)),
        "illegal_characters": limit("buy", "0.01", bid, "has space"),
    }
    for reason, request in cases.items():
        with pytest.raises(OrderRejected) as refused:
            venue.place_order("a", request, T0)
        assert refused.value.reason == reason, reason
    assert venue.orders("a") == [], "a refused order is not an order"
    assert venue.balances("a")["USDT"].free == D("1000")


def test_a_client_order_id_is_refused_while_its_order_is_open_and_free_after() -> None:
    venue, _ = fixed_venue()
    account = funded(venue)
    bid = venue.book(SYMBOL, T0, 5).bids[4].price
    venue.place_order(account, limit("buy", "0.01", bid, "same"), T0)

    with pytest.raises(OrderRejected) as refused:
        venue.place_order(account, limit("buy", "0.01", bid, "same"), T0)
    assert refused.value.reason == "duplicate_order"

    venue.cancel_order(account, SYMBOL, T0, client_order_id="same")
    again = venue.place_order(account, limit("buy", "0.01", bid, "same"), T0)
    assert venue.order(account, SYMBOL, client_order_id="same") is again
    assert len(venue.orders(account)) == 2


def test_market_ioc_and_fok_orders() -> None:
    venue, _ = fixed_venue()
    account = funded(venue)
    asks = venue.book(SYMBOL, T0, 3).asks

    market = venue.place_order(
        account, OrderRequest(SYMBOL, "buy", "market", quantity=asks[0].quantity + D(1)), T0
    )
    assert market.status == "filled"
    assert len(market.fills) == 2
    assert market.fills[1].price == asks[1].price

    asks = venue.book(SYMBOL, T0, 3).asks
    by_quote = venue.place_order(
        account, OrderRequest(SYMBOL, "buy", "market", quote_quantity=D("1000")), T0
    )
    assert by_quote.cumulative_quote <= D("1000")
    assert by_quote.cumulative_quote > D("1000") - asks[0].price * D("0.00001")

    def past_the_top(time_in_force: TimeInForce) -> tuple[Decimal, PaperOrder]:
        """More than the best ask holds, at its price: (what it holds, the order)."""
        top = venue.book(SYMBOL, T0, 3).asks[0]
        request = OrderRequest(
            SYMBOL, "buy", "limit", top.quantity + D(5), top.price, time_in_force=time_in_force
        )
        return top.quantity, venue.place_order(account, request, T0)

    top, ioc = past_the_top("IOC")
    assert ioc.status == "expired"
    assert ioc.executed_quantity == top
    _, fok = past_the_top("FOK")
    assert fok.status == "expired"
    assert fok.fills == []
    assert venue.balances(account)["USDT"].locked == 0


def test_trade_ids_are_unique_and_increasing() -> None:
    venue, _ = fixed_venue()
    account = funded(venue)
    for i in range(5):
        ask = venue.book(SYMBOL, T0 + seconds(i), 1).asks[0]
        venue.place_order(
            account, limit("buy", ask.quantity + D(1), ask.price + 4, f"t{i}"), T0 + seconds(i)
        )
    ids = [f.trade_id for f in venue.trades(account, SYMBOL, limit=1000)]
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids)) >= 10


def test_without_resting_orders_advancing_changes_nothing_but_time() -> None:
    venue, _ = fixed_venue()
    engine = engine_of(venue)
    before = venue.book(SYMBOL, T0, 10)
    assert venue.advance(T0 + seconds(3600)) == []
    assert venue.book(SYMBOL, T0 + seconds(3600), 10) == before
    assert engine.resting == 0


def test_the_same_seed_and_calls_give_the_same_market_and_fills() -> None:
    def run(seed: int) -> tuple[list[Decimal], list[tuple[int, Decimal, Decimal]]]:
        venue = build_venue("volatile", seed=seed, start=T0)
        account = funded(venue)
        mids, fills = [], []
        for i in range(50):
            now = T0 + seconds(20 * i)
            mids.append(venue.state(SYMBOL, now).mid)
            if i % 10 == 0:
                bid = venue.book(SYMBOL, now, 1).bids[0].price
                venue.place_order(account, limit("buy", "0.3", bid, f"d{i}"), now)
            fills += [(f.trade_id, f.price, f.quantity) for f in venue.advance(now)]
        return mids, fills

    assert run(5) == run(5)
    assert run(5)[0] != run(6)[0]
