"""Stock ccxt.binance against the paper venue running as its own process.

Nothing in ccxt is patched: the instance gets the server's URLs and spot-only options, as
any user of a Binance-compatible endpoint would configure it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import ccxt
import ccxt.async_support as ccxt_async
import pytest

from tests.paper_venue_fixtures import PaperVenueProcess

SYMBOL = "BTC/USDT"


def stock_binance(base_url: str, api_key: str, secret: str) -> Any:
    exchange = ccxt_async.binance(
        {
            "apiKey": api_key,
            "secret": secret,
            "options": {
                "defaultType": "spot",
                "fetchMarkets": {"types": ["spot"]},
                "fetchMargins": False,
                "fetchCurrencies": False,
            },
        }
    )
    exchange.urls["api"] = {"public": f"{base_url}/api/v3", "private": f"{base_url}/api/v3"}
    return exchange


@pytest.fixture
async def trader(paper_venue: PaperVenueProcess) -> AsyncIterator[tuple[Any, Any]]:
    account = paper_venue.new_account({"USDT": "100000", "BTC": "1"}, prefix="ccxt")
    exchange = stock_binance(paper_venue.base_url, account.api_key, account.api_secret)
    try:
        yield exchange, account
    finally:
        await exchange.close()


async def test_markets_book_ticker_and_balance(trader: tuple[Any, Any]) -> None:
    exchange, _ = trader
    markets = await exchange.load_markets()
    btc = markets[SYMBOL]
    assert btc["precision"]["price"] == 0.01
    assert btc["precision"]["amount"] == 0.00001
    assert btc["limits"]["cost"]["min"] == 5.0
    assert markets["LINK/USDT"]["precision"]["price"] == 0.001
    book = await exchange.fetch_order_book(SYMBOL, 10)
    assert len(book["bids"]) == len(book["asks"]) == 10
    assert book["bids"][0][0] < book["asks"][0][0]
    ticker = await exchange.fetch_ticker(SYMBOL)
    after = await exchange.fetch_order_book(SYMBOL, 10)
    # The market runs on wall time: the ticker's touch is the book's, just before or after.
    assert (ticker["bid"], ticker["ask"]) in {
        (book["bids"][0][0], book["asks"][0][0]),
        (after["bids"][0][0], after["asks"][0][0]),
    }
    assert ticker["low"] <= ticker["last"] <= ticker["high"]
    balance = await exchange.fetch_balance()
    assert balance["USDT"] == {"free": 100000.0, "used": 0.0, "total": 100000.0}


async def test_an_order_round_trip(trader: tuple[Any, Any]) -> None:
    exchange, _ = trader
    await exchange.load_markets()
    book = await exchange.fetch_order_book(SYMBOL, 10)
    deep_bid = book["bids"][9][0]

    created = await exchange.create_order(
        SYMBOL, "limit", "buy", 0.01, deep_bid, {"clientOrderId": "rt-1"}
    )
    assert created["clientOrderId"] == "rt-1"
    assert created["status"] == "open"
    locked = (await exchange.fetch_balance())["USDT"]["used"]
    assert locked == pytest.approx(deep_bid * 0.01)
    fetched = await exchange.fetch_order(None, SYMBOL, {"clientOrderId": "rt-1"})
    assert fetched["id"] == created["id"]
    assert fetched["amount"] == 0.01
    assert [o["clientOrderId"] for o in await exchange.fetch_open_orders(SYMBOL)] == ["rt-1"]
    canceled = await exchange.cancel_order(created["id"], SYMBOL)
    assert canceled["status"] == "canceled"
    assert await exchange.fetch_open_orders(SYMBOL) == []
    assert (await exchange.fetch_balance())["USDT"]["used"] == 0.0

    taken = await exchange.create_order(
        SYMBOL, "limit", "buy", 0.05, book["asks"][3][0], {"clientOrderId": "rt-2"}
    )
    assert taken["status"] == "closed"
    assert taken["filled"] == 0.05
    trades = await exchange.fetch_my_trades(SYMBOL)
    assert trades
    assert all(t["order"] == taken["id"] for t in trades)
    assert all(t["takerOrMaker"] == "taker" and t["fee"]["currency"] == "BTC" for t in trades)
    assert sum(t["amount"] for t in trades) == pytest.approx(0.05)


async def test_errors_map_to_ccxt_classes(
    trader: tuple[Any, Any], paper_faults: PaperVenueProcess
) -> None:
    exchange, account = trader
    await exchange.load_markets()
    bid = (await exchange.fetch_order_book(SYMBOL, 5))["bids"][4][0]
    with pytest.raises(ccxt.InsufficientFunds):
        await exchange.create_order(SYMBOL, "limit", "buy", 5, bid)
    with pytest.raises(ccxt.InvalidOrder):  # below the 5 USDT minimum notional
        await exchange.create_order(SYMBOL, "limit", "buy", 0.00001, bid)
    with pytest.raises(ccxt.InvalidOrder):  # LOT_SIZE: above the maximum quantity
        await exchange.create_order(SYMBOL, "limit", "sell", 10000, bid)
    with pytest.raises(ccxt.OrderNotFound):
        await exchange.fetch_order(None, SYMBOL, {"clientOrderId": "never-placed"})
    with pytest.raises(ccxt.OrderNotFound):
        await exchange.cancel_order("987654321", SYMBOL)

    stranger = stock_binance(paper_faults.base_url, "no-such-key", "x")
    forger = stock_binance(paper_faults.base_url, account.api_key, "wrong-secret")
    try:
        with pytest.raises(ccxt.AuthenticationError):
            await stranger.fetch_balance()
        with pytest.raises(ccxt.AuthenticationError):
            await forger.fetch_balance()
    finally:
        await stranger.close()
        await forger.close()

    paper_faults.set_faults(weight_limit=30, weight_window=60, reset_limits=True)
    # 15 books of weight 5: the venue's windows start on the minute, and a burst that
    # straddles one splits its weight between two windows; 15 leave at least 40 in one of
    # them, over the 30 allowed (10 could split 30/20 and pass whole), and at most 9
    # refusals stay under the 10 that would turn them into a ban.
    results = await asyncio.gather(
        *(exchange.fetch_order_book(SYMBOL, 5) for _ in range(15)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, Exception)]
    assert refused
    assert all(isinstance(r, ccxt.RateLimitExceeded | ccxt.DDoSProtection) for r in refused)
    assert "429" in str(refused[0])
