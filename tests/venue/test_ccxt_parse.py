"""Parsing ccxt's unified structures: raw strings win, floats go through repr, never math."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rebalancer.venue.ccxt_parse import (
    DECIMAL_PLACES,
    from_millis,
    parse_balances,
    parse_market,
    parse_order,
    parse_order_book,
    parse_quote,
    parse_trade,
    to_decimal,
)
from rebalancer.venue.raw_fields import RawFields, at
from tests.venue.ccxt_payloads import unified_market, unified_order, unified_trade

D = Decimal


def test_numbers_become_exact_decimals() -> None:
    assert to_decimal(0.1) == D("0.1")
    assert to_decimal(1e-05) == D("0.00001")
    assert to_decimal("42000.01000000") == D("42000.01")
    assert to_decimal(3) == D(3)
    assert to_decimal(None) is None
    assert to_decimal(True) is None
    assert to_decimal("x") is None
    assert to_decimal(float("nan")) is None


def test_a_binance_market_uses_its_filter_strings() -> None:
    market = unified_market(
        "ETH/USDT",
        precision={"price": 0.01, "amount": 0.0001},
        limits={"amount": {"min": 0.0001}, "cost": {"min": 5.0}},
        maker=0.001,
        taker=0.001,
        info={
            "filters": [
                {"filterType": "PRICE_FILTER", "tickSize": "0.01000000"},
                {"filterType": "LOT_SIZE", "stepSize": "0.00010000", "minQty": "0.00010000"},
                {"filterType": "NOTIONAL", "minNotional": "5.00000000"},
            ]
        },
    )
    rules = parse_market(market)
    assert (rules.tick_size, rules.step_size) == (D("0.01"), D("0.0001"))
    assert (rules.min_qty, rules.min_notional, rules.taker_fee) == (D("0.0001"), D("5"), D("0.001"))


def test_a_market_without_raw_filters_uses_ccxt_precision() -> None:
    market = unified_market(
        "XBT/EUR",
        precision={"price": 1, "amount": 8},
        limits={"amount": {"min": 0.0001}, "cost": {}},
        maker=0.0016,
        taker=0.0026,
        info={},
    )
    rules = parse_market(market, DECIMAL_PLACES)
    assert (rules.tick_size, rules.step_size) == (D("0.1"), D("1E-8"))
    assert rules.maker_fee == D("0.0016")
    assert rules.min_notional == 0
    with pytest.raises(ValueError, match="no tick size"):
        parse_market({**market, "precision": {}})


def test_order_book_quote_and_balances() -> None:
    book = parse_order_book(
        {"bids": [[100.1, 2.5], [100.0, 0.0], [99.9, 1]], "asks": [[100.2, 0.30000000000000004]]}
    )
    assert [(lvl.price, lvl.quantity) for lvl in book.bids] == [
        (D("100.1"), D("2.5")),
        (D("99.9"), D(1)),
    ]
    assert book.asks[0].quantity == D("0.30000000000000004"), "repr keeps the float's own digits"
    quote = parse_quote({"bid": 1.0, "ask": 2.0, "last": 1.5, "info": {"bidPrice": "1.00000000"}})
    assert (quote.bid, quote.ask, quote.last) == (D(1), D(2), D("1.5"))
    assert parse_quote({"last": 7.0}).mid == D(7)
    raw = {
        "info": {
            "balances": [
                {"asset": "BTC", "free": "0.10000000", "locked": "0.00500000"},
                {"asset": "ETH", "free": "0.00000000", "locked": "0.00000000"},
            ]
        },
        "BTC": {"free": 0.1, "used": 0.005, "total": 0.105},
    }
    balances = parse_balances(raw)
    assert list(balances) == ["BTC"]
    assert balances["BTC"].locked == D("0.005")
    generic = parse_balances({"info": {}, "EUR": {"free": 10.5, "used": 0.0}, "free": {}})
    assert generic["EUR"].free == D("10.5")


def test_orders_and_trades_prefer_the_raw_strings() -> None:
    order = parse_order(
        unified_order(
            id="17",
            clientOrderId="cancel-17",
            status="canceled",
            amount=0.3,
            filled=0.1,
            price=42000.01,
            timestamp=1_700_000_000_000,
            info={
                "origClientOrderId": "mine-1",
                "origQty": "0.30000000",
                "executedQty": "0.10000000",
                "cummulativeQuoteQty": "4200.00100000",
                "price": "42000.01000000",
            },
        )
    )
    assert order.client_order_id == "mine-1", "a cancel reply names the cancel; keep the order's"
    assert (order.amount, order.filled, order.status) == (D("0.3"), D("0.1"), "canceled")
    assert order.average == D("42000.01")
    assert order.price == D("42000.01")
    assert order.created_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    market_order = parse_order(
        unified_order(
            id="9", side="sell", status="canceling", amount=1.0, info={"price": "0.00000000"}
        ),
        client_order_id="fallback",
        now=datetime(2024, 1, 1, tzinfo=UTC),
    )
    assert market_order.price is None
    assert market_order.status == "open"
    assert market_order.client_order_id == "fallback"
    trade = parse_trade(
        unified_trade(
            id="5",
            order="17",
            amount=0.1,
            price=42000.0,
            takerOrMaker="maker",
            timestamp=1_700_000_000_123,
            fee={"cost": 1e-4, "currency": "BTC"},
            info={
                "qty": "0.10000000",
                "price": "42000.00000000",
                "commission": "0.00010000",
                "commissionAsset": "BTC",
            },
        ),
        client_order_id="mine-1",
    )
    assert (trade.trade_id, trade.venue_order_id, trade.client_order_id) == ("5", "17", "mine-1")
    assert (trade.amount, trade.fee, trade.fee_asset, trade.taker_or_maker) == (
        D("0.1"),
        D("0.0001"),
        "BTC",
        "maker",
    )


# The venue's text and ccxt's float of it, which lost digits, as ccxt hands them over.
AMOUNT, PRICE = "1.23456789012345678901", "21220.6399999973697697"
FLOAT_AMOUNT, FLOAT_PRICE = D(repr(float(AMOUNT))), D(repr(float(PRICE)))
ORDER = unified_order(
    amount=float(AMOUNT),
    price=float(PRICE),
    filled=0.0,
    info={"type": "limit", "config": {"gtc": {"size": AMOUNT}}, "fills": [{"px": PRICE}]},
)


def test_raw_fields_follow_keys_and_list_indexes_and_else_read_the_float() -> None:
    fields = RawFields(
        order_amount=at(("config", "gtc", "size")),
        order_price=at(("fills", 0, "px")),
    )
    order = parse_order(ORDER, raw_fields=fields)
    assert (order.amount, order.price) == (D(AMOUNT), D(PRICE))
    floats = parse_order(ORDER, raw_fields=RawFields())
    assert (floats.amount, floats.price) == (FLOAT_AMOUNT, FLOAT_PRICE)
    # A path into the wrong shape, past a list's end, or to text that is not a number: the
    # unified float.
    for wrong in (("config", 0, "size"), ("fills", 1, "px"), ("fills", 0), ("type",)):
        assert parse_order(ORDER, raw_fields=RawFields(order_price=at(wrong))).price == FLOAT_PRICE
    # The first path holding a number wins.
    first = RawFields(order_amount=at("missing", "type", ("config", "gtc", "size"), "never"))
    assert parse_order(ORDER, raw_fields=first).amount == D(AMOUNT)


def test_a_raw_field_with_a_condition_is_read_only_where_it_holds() -> None:
    guarded = at(("config", "gtc", "size"), when="type", values=("limit",))
    assert parse_order(ORDER, raw_fields=RawFields(order_amount=guarded)).amount == D(AMOUNT)
    market = {**ORDER, "info": {"type": "market", "config": {"gtc": {"size": AMOUNT}}}}
    assert parse_order(market, raw_fields=RawFields(order_amount=guarded)).amount == FLOAT_AMOUNT
    # A missing key reads as None.
    absent = at(("config", "gtc", "size"), when="tgt", values=("", None))
    assert parse_order(ORDER, raw_fields=RawFields(order_amount=absent)).amount == D(AMOUNT)


def test_no_raw_fields_reads_no_venue_key() -> None:
    # Kraken's order ``price`` is its average fill price, not a limit: unmapped, never read.
    kraken_like = {**ORDER, "info": {"price": "30010.0", "origQty": "9", "executedQty": "9"}}
    order = parse_order(kraken_like, raw_fields=RawFields())
    assert (order.amount, order.price, order.filled) == (FLOAT_AMOUNT, FLOAT_PRICE, D(0))


def test_balance_rows_count_only_for_a_single_row_of_the_unified_asset() -> None:
    fields = RawFields(
        balance_rows=("data", 0, "rows"),
        balance_asset=("ccy",),
        balance_free=at("avail"),
        balance_used=at("frozen"),
    )
    rows = [
        {"ccy": "BTC", "avail": "0.66126645221999991234", "frozen": "0.40000000000000012345"},
        # Two rows of one asset: ccxt sums them, no single string is its number.
        {"ccy": "USD", "avail": "1.5", "frozen": "0"},
        {"ccy": "USD", "avail": "2.25", "frozen": "0"},
        # No unified entry: ccxt left the row out (another account type, or a renamed id).
        {"ccy": "XXBT", "avail": "7", "frozen": "0"},
    ]
    balance = {
        "info": {"data": [{"rows": rows}]},
        "BTC": {"free": 0.6612664522199999, "used": 0.4000000000000001},
        "USD": {"free": 3.75, "used": 0.0},
        "ETH": {"free": 2.0, "used": 0.0},
        "free": {"BTC": 0.6612664522199999},
    }
    balances = parse_balances(balance, raw_fields=fields)
    assert list(balances) == ["BTC", "USD", "ETH"]
    assert balances["BTC"].free == D("0.66126645221999991234")
    assert balances["BTC"].locked == D("0.40000000000000012345")
    assert (balances["USD"].free, balances["ETH"].free) == (D("3.75"), D(2))


@pytest.mark.parametrize("millis", [67_768_036_191_676_796_000, -(10**20), 10**40, "12x", True])
def test_a_time_out_of_any_range_is_no_time(millis: object) -> None:
    # 6.8e19 ms is past what the C library can represent: OSError (EOVERFLOW), not
    # OverflowError, found by the response fuzzer.
    assert from_millis(millis) is None


def test_a_maker_rebate_parses_as_a_negative_fee() -> None:
    # Bybit's execFee is negative for a rebate; the unified fee carries the sign too.
    trade = parse_trade(
        unified_trade(
            side="sell",
            amount=0.01,
            price=60000.0,
            timestamp=1_700_000_000_000,
            takerOrMaker="maker",
            fee={"cost": -0.0012, "currency": "USDT"},
            info={},
        ),
        raw_fields=RawFields(),
    )
    assert (trade.fee, trade.fee_asset) == (Decimal("-0.0012"), "USDT")
