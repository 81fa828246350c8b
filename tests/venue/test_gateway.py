"""CcxtGateway against the paper venue process: parsing, partial fills, 429 handling and
idempotent placement behind ambiguous faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from rebalancer.venue import errors
from rebalancer.venue.ccxt_gateway import CcxtGateway
from rebalancer.venue.models import LimitOrder
from tests.paper_venue_fixtures import PaperAccount, PaperVenueProcess

SYMBOL = "BTC/USDT"
D = Decimal


def gateway_for(venue: PaperVenueProcess, account: PaperAccount, **options: int) -> CcxtGateway:
    return CcxtGateway(
        "binance",
        api_key=account.api_key,
        api_secret=account.api_secret,
        venue="paper",
        base_url=venue.base_url,
        timeout=5.0,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def account(paper_venue: PaperVenueProcess) -> PaperAccount:
    return paper_venue.new_account({"USDT": "2000000", "BTC": "2"}, prefix="gw")


@pytest.fixture
async def gateway(
    paper_venue: PaperVenueProcess, account: PaperAccount
) -> AsyncIterator[CcxtGateway]:
    async with gateway_for(paper_venue, account) as opened:
        yield opened


async def test_markets_come_from_ccxt_market_data(gateway: CcxtGateway) -> None:
    markets = await gateway.markets()
    btc, link = markets["BTC/USDT"], markets["LINK/USDT"]
    assert (btc.tick_size, btc.step_size, btc.min_notional) == (D("0.01"), D("0.00001"), D("5"))
    assert (btc.maker_fee, btc.taker_fee) == (D("0.001"), D("0.001"))
    assert (link.tick_size, link.step_size) == (D("0.001"), D("0.01"))
    assert gateway.limiter.limits.weight == 1_000_000


async def test_reads_are_exact_decimals(gateway: CcxtGateway) -> None:
    book = await gateway.order_book(SYMBOL, 20)
    assert len(book.bids) == 20
    assert all(isinstance(lvl.price, Decimal) for lvl in book.bids)
    assert all(lvl.price % D("0.01") == 0 for lvl in (*book.bids, *book.asks))
    quote = await gateway.ticker(SYMBOL)
    assert quote.bid is not None
    assert quote.ask is not None
    assert quote.bid < quote.ask
    balances = await gateway.balances()
    assert balances["USDT"].free == D("2000000")
    assert balances["BTC"].total == D("2")


async def test_place_fetch_cancel_round_trip(gateway: CcxtGateway) -> None:
    deep_bid = (await gateway.order_book(SYMBOL, 10)).bids[9].price
    placed = await gateway.place_limit_order(
        LimitOrder(SYMBOL, "buy", D("0.01"), deep_bid, "gw-rt-1")
    )
    assert (placed.client_order_id, placed.status, placed.amount) == ("gw-rt-1", "open", D("0.01"))
    assert placed.price == deep_bid
    assert placed.filled == 0
    fetched = await gateway.fetch_order(SYMBOL, "gw-rt-1")
    assert fetched is not None
    assert fetched.venue_order_id == placed.venue_order_id
    assert [o.client_order_id for o in await gateway.open_orders(SYMBOL)] == ["gw-rt-1"]
    assert [o.client_order_id for o in await gateway.open_orders()] == ["gw-rt-1"]
    assert (await gateway.balances())["USDT"].locked == deep_bid * D("0.01")
    canceled = await gateway.cancel_order(SYMBOL, "gw-rt-1")
    assert canceled.status == "canceled"
    assert canceled.client_order_id == "gw-rt-1"
    again = await gateway.cancel_order(SYMBOL, "gw-rt-1")
    assert again.status == "canceled", "canceling twice reports the final order"
    assert await gateway.fetch_order(SYMBOL, "never-placed") is None
    with pytest.raises(errors.OrderNotFound):
        await gateway.cancel_order(SYMBOL, "never-placed")


async def test_a_limit_order_larger_than_the_top_level_fills_partially_across_levels(
    gateway: CcxtGateway,
) -> None:
    asks = (await gateway.order_book(SYMBOL, 5)).asks
    limit = asks[2].price
    wanted = asks[0].quantity + asks[1].quantity + asks[2].quantity + D(1)

    order = await gateway.place_limit_order(LimitOrder(SYMBOL, "buy", wanted, limit, "gw-partial"))

    assert order.status == "open"
    assert 0 < order.filled < wanted
    trades = await gateway.trades(SYMBOL)
    mine = [t for t in trades if t.venue_order_id == order.venue_order_id]
    # What it took on arrival; the rest rests as the best bid and may fill as a maker since.
    taken = [t for t in mine if t.taker_or_maker == "taker"]
    assert len({t.price for t in taken}) >= 2, "one trade per level walked"
    assert sum(t.amount for t in taken) == order.filled
    assert all(t.price <= limit and t.client_order_id == "gw-partial" for t in mine)
    assert order.average is not None
    assert order.average <= limit
    await gateway.cancel_order(SYMBOL, "gw-partial")


async def test_final_errors_are_classified_and_not_retried(
    paper_venue: PaperVenueProcess, gateway: CcxtGateway, account: PaperAccount
) -> None:
    bid = (await gateway.order_book(SYMBOL, 5)).bids[4].price
    with pytest.raises(errors.InsufficientFunds):
        await gateway.place_limit_order(LimitOrder(SYMBOL, "buy", D("500"), bid, "gw-poor"))
    with pytest.raises(errors.InvalidOrder):
        await gateway.place_limit_order(LimitOrder(SYMBOL, "buy", D("0.00001"), bid, "gw-tiny"))
    forged = PaperAccount(account.account_id, account.api_key, "wrong", {})
    async with gateway_for(paper_venue, forged) as bad:
        with pytest.raises(errors.AuthenticationFailed):
            await bad.balances()
    assert paper_venue.orders(account.account_id) == []


async def test_a_rate_limit_burst_is_answered_with_429_and_the_gateway_waits_it_out(
    paper_faults: PaperVenueProcess, account: PaperAccount
) -> None:
    async with gateway_for(paper_faults, account, max_attempts=6) as gateway:
        await gateway.markets()  # sized from the generous limits the venue declared
        paper_faults.set_faults(weight_limit=40, weight_window=2, reset_limits=True)
        before = paper_faults.admin("faults")["limits"]

        books = await asyncio.gather(*(gateway.order_book(SYMBOL, 5) for _ in range(20)))

        after = paper_faults.admin("faults")["limits"]
    assert len(books) == 20
    assert all(book.bids for book in books)
    rejected = after["rejected_429"] - before["rejected_429"]
    assert rejected >= 1, "the burst went over the venue's limit"
    assert gateway.limiter.honoured
    assert all(0 < s <= 2 for s in gateway.limiter.honoured)
    # Waiting out Retry-After means no request is thrown at a closed window again and
    # again: at most one refusal per request per window, and never a ban.
    assert rejected <= 20 + 12 + 4
    assert after["rejected_418"] == before["rejected_418"] == 0


@pytest.mark.parametrize("mode", ["error", "drop"])
async def test_an_order_accepted_behind_an_ambiguous_fault_is_found_not_placed_twice(
    mode: str, paper_faults: PaperVenueProcess, gateway: CcxtGateway, account: PaperAccount
) -> None:
    asks = (await gateway.order_book(SYMBOL, 5)).asks
    client_id = f"gw-amb-{mode}"
    paper_faults.set_faults(ambiguous_next_orders=1, ambiguous_mode=mode)

    # Marketable: it fills at once, so a blind retry with the same client id would be
    # accepted as a second order (the id is only refused while the first is open).
    order = await gateway.place_limit_order(
        LimitOrder(SYMBOL, "buy", D("0.01"), asks[2].price, client_id)
    )

    assert paper_faults.admin("faults")["faults"]["ambiguous_next_orders"] == 0, "fault fired"
    assert order.client_order_id == client_id
    assert order.status == "closed"
    placed = [
        o for o in paper_faults.orders(account.account_id) if o["client_order_id"] == client_id
    ]
    assert len(placed) == 1
    assert (await gateway.balances())["BTC"].total == D("2") + D("0.01") - D("0.00001")


async def test_a_duplicate_client_id_resolves_to_the_existing_order(
    paper_venue: PaperVenueProcess, gateway: CcxtGateway, account: PaperAccount
) -> None:
    bid = (await gateway.order_book(SYMBOL, 10)).bids[9].price
    first = await gateway.place_limit_order(LimitOrder(SYMBOL, "buy", D("0.01"), bid, "gw-dup"))
    second = await gateway.place_limit_order(LimitOrder(SYMBOL, "buy", D("0.01"), bid, "gw-dup"))
    assert second.venue_order_id == first.venue_order_id
    assert len(paper_venue.orders(account.account_id)) == 1
    await gateway.cancel_order(SYMBOL, "gw-dup")


async def test_maintenance_is_retried_until_the_venue_is_back(
    paper_faults: PaperVenueProcess, account: PaperAccount
) -> None:
    async with gateway_for(paper_faults, account, max_attempts=6) as gateway:
        await gateway.markets()
        paper_faults.set_faults(maintenance=True, maintenance_seconds=0.5)
        balances = await gateway.balances()
    assert balances["USDT"].free == D("2000000")


async def test_a_venue_that_stays_down_raises_a_retryable_error(
    paper_faults: PaperVenueProcess, account: PaperAccount
) -> None:
    async with gateway_for(paper_faults, account, max_attempts=2) as gateway:
        await gateway.markets()
        paper_faults.set_faults(maintenance=True)
        with pytest.raises(errors.VenueUnavailable) as down:
            await gateway.balances()
    assert down.value.retryable
