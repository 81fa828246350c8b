"""Each venue's own decimal strings, through stock ccxt's parser and then ours: every digit.

Bodies come from ``recorded/<venue>.json``. Stock ccxt (no network, the recorded markets)
parses them as its fetch methods do; ``ccxt_parse`` then reads the venue profile's raw fields.
Where a test needs a number longer than a float holds it changes a recorded value and says so:
the raw path keeps every digit, ccxt's float (read through ``repr``) loses the last ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async
import pytest

from rebalancer.domain.numbers import div
from rebalancer.venue.ccxt_parse import parse_balances, parse_order, parse_trade
from rebalancer.venue.models import Balance, VenueOrder, VenueTrade
from rebalancer.venue.profiles import profile_for
from rebalancer.venue.raw_fields import RawFields
from tests.venue.recorded_session import Reply, body, recorded, recorded_venue

D = Decimal
# No raw fields: every number is ccxt's float, read through repr.
FLOATS = RawFields()

# Longer than a float holds (15 to 17 significant digits), one per field, so that a key mapped
# to the wrong field shows too.
AMOUNT = "1.23456789012345678901"
FILLED = "0.98765432109876543219"
# Coinbase's own example of an average_filled_price.
PRICE = "21220.6399999973697697"
AVERAGE = "21220.6388888888888887"
COST = "20958.1234567890123456"
FEE = "0.0000280983986004123456"
FREE = "0.66126645221999991234"
USED = "0.40000000000000012345"
# Binance and Bybit orders without a raw average: the executed quote value over the quantity.
COST_AVERAGE = str(div(D(COST), D(FILLED)))

# Per checked number: what our parser made of it and the venue's text.
Numbers = dict[str, tuple[Decimal | None, str]]
# A number as the venue wrote it, or None where the body holds none (nothing to check).
Text = str | None


def exact(value: Decimal | None, text: str) -> bool:
    """``value`` is the venue's number as the venue wrote it, trailing zeros too (a zero is
    any zero: an empty amount is written 0)."""
    expected = D(text)
    return value is not None and (value.as_tuple() == expected.as_tuple() or value == expected == 0)


def assert_exact(numbers: Numbers) -> None:
    for name, (value, text) in numbers.items():
        assert exact(value, text), f"{name}: {value} is not {text}"


def _given(label: str, **read: tuple[Decimal | None, Text]) -> Numbers:
    # Only the fields given a text are checked: each body holds some numbers and not others.
    return {
        f"{label} {name}": (value, text) for name, (value, text) in read.items() if text is not None
    }


def order_reads(
    label: str,
    parsed: VenueOrder,
    amount: Text = None,
    filled: Text = None,
    price: Text = None,
    average: Text = None,
) -> Numbers:
    """The order's numbers paired with the venue's text, for each text given."""
    return _given(
        label,
        amount=(parsed.amount, amount),
        filled=(parsed.filled, filled),
        price=(parsed.price, price),
        average=(parsed.average, average),
    )


def trade_reads(parsed: VenueTrade, amount: str, price: str, fee: Text = None) -> Numbers:
    return _given(
        "trade", amount=(parsed.amount, amount), price=(parsed.price, price), fee=(parsed.fee, fee)
    )


def balance_reads(label: str, held: Balance, free: str, locked: Text = None) -> Numbers:
    return _given(label, free=(held.free, free), locked=(held.locked, locked))


def test_the_long_numbers_do_not_survive_a_float() -> None:
    for text in (AMOUNT, FILLED, PRICE, AVERAGE, COST, FEE, FREE, USED, COST_AVERAGE):
        assert D(repr(float(text))) != D(text), text


def exchange(venue: str) -> Any:
    """Stock ccxt for ``venue`` on the recorded markets, loaded as ``use_markets`` does."""
    instance = getattr(ccxt_async, venue)({"options": dict(profile_for(venue).ccxt_options)})
    markets = json.loads(json.dumps(recorded(venue)["markets"]))
    loaded = instance.set_markets(
        [instance.deep_extend(instance.safe_market_structure(), m) for m in markets.values()]
    )
    if "marketsByAltname" in instance.options:
        instance.options["marketsByAltname"] = instance.index_by(list(loaded.values()), "altname")
    return instance


def _fields(venue: str, fields: RawFields | None) -> RawFields:
    return profile_for(venue).raw_fields if fields is None else fields


def order(venue: str, raw: Any, fields: RawFields | None = None) -> VenueOrder:
    unified = exchange(venue).parse_order(raw)
    return parse_order(unified, client_order_id="ours", raw_fields=_fields(venue, fields))


def trade(venue: str, raw: Any, fields: RawFields | None = None) -> VenueTrade:
    return parse_trade(exchange(venue).parse_trade(raw), raw_fields=_fields(venue, fields))


def balances(venue: str, response: Any, fields: RawFields | None = None) -> dict[str, Balance]:
    instance = exchange(venue)
    # The parser each venue's fetch_balance ends in, with the profile's options.
    if venue == "binance":
        unified = instance.parse_balance_custom(response, "spot")
    elif venue == "coinbase":
        unified = instance.parse_custom_balance(response, {"type": "spot"})
    elif venue == "okx":
        unified = instance.parse_trading_balance(response)
    else:
        unified = instance.parse_balance(response)
    return parse_balances(unified, raw_fields=_fields(venue, fields))


def kraken_keyed(result: dict[str, Any], key: str) -> dict[str, Any]:
    # ccxt's kraken fetch methods put each record's key into it as its id.
    return {"id": key, **result[key]}


# ------------------------------------------------------------ the recorded strings


def binance_recorded() -> Numbers:
    placed = order("binance", body("binance", "create_order_spot_limit"))
    closed = order("binance", body("binance", "fetch_order_spot_closed"))
    fill = trade("binance", body("binance", "fetch_my_trades_spot")[0])
    held = balances("binance", body("binance", "fetch_balance_spot"))
    assert set(held) == {"LTC", "ETH"}
    closed_average = str(div(D("9.08000000"), D("0.10000000")))
    return (
        order_reads("order", placed, amount="0.05000000", filled="0.00000000", price="241.00000000")
        | order_reads("closed", closed, "0.10000000", "0.10000000", average=closed_average)
        | trade_reads(fill, amount="0.20000000", price="69.63000000", fee="0.01392600")
        | balance_reads("LTC", held["LTC"], free="0.91974100", locked="0.00000000")
        | balance_reads("ETH", held["ETH"], free="0.02229833")
    )


def coinbase_recorded() -> Numbers:
    placed = order("coinbase", body("coinbase", "list_orders_filled")["orders"][0])
    fill = trade("coinbase", body("coinbase", "fetch_my_trades")["fills"][0])
    # The amount is a market order's base_size.
    ordered = order_reads("order", placed, amount="10", filled="10", average="0.392")
    return ordered | trade_reads(fill, amount="10", price="0.392", fee="0.03136")


def kraken_recorded() -> Numbers:
    partial = order(
        "kraken",
        kraken_keyed(
            body("kraken", "open_orders_partial")["result"]["open"], "OQCLML-BW3P3-BUCMWZ"
        ),
    )
    resting = order(
        "kraken", kraken_keyed(body("kraken", "fetch_order")["result"], "OR6EGN-KQSEG-AMI6CL")
    )
    fill = trade(
        "kraken",
        kraken_keyed(body("kraken", "trades_history")["result"]["trades"], "THVRQM-33VKH-UCI7BS"),
    )
    assert resting.average is None, "price 0.000000: nothing filled, no average"
    return (
        # Kraken writes the limit price in descr.price and the average in price.
        order_reads("order", partial, "1.25000000", "0.37500000", "30010.0", "30010.0")
        | order_reads("resting", resting, amount="0.10000000", price="50.00000")
        | trade_reads(fill, amount="0.02000000", price="30010.00000", fee="0.00000")
    )


def okx_recorded() -> Numbers:
    filled = order("okx", body("okx", "fetch_order")["data"][0])
    fill = trade("okx", body("okx", "fetch_my_trades")["data"][0])
    held = balances("okx", body("okx", "fetch_balance"))
    # The recorded order is a market order: its sz is ccxt's (the guard), numerically the same.
    assert filled.amount == D("0.1")
    return (
        order_reads("order", filled, filled="0.1", average="101.58")
        | trade_reads(fill, amount="0.1", price="67.84")
        # With availEq, ccxt's used is eq - availEq (a float): no single key holds it.
        | balance_reads(
            "BTC (availEq)", held["BTC"], free="0.6612664522199999", locked="0.4000000000000001"
        )
        | balance_reads("TUSD", held["TUSD"], free="3000")
    )


def bybit_recorded() -> Numbers:
    resting = order("bybit", body("bybit", "open_order")["result"]["list"][0])
    fill = trade("bybit", body("bybit", "my_trades")["result"]["list"][0])
    assert resting.average is None, "avgPrice 0.000: nothing filled"
    ordered = order_reads("order", resting, amount="0.30000", filled="0.00000", price="50.000")
    return ordered | trade_reads(fill, amount="0.001", price="2453.65", fee="0.000001")


# ---------------------------------------------- numbers longer than a float holds


def long_order_and_trade(
    venue: str,
    raw_order: Any,
    raw_trade: Any,
    fields: RawFields | None,
    average: str = AVERAGE,
    fee: Text = FEE,
) -> Numbers:
    """What an order and a fill carrying the long numbers read back as. ``average`` is the
    order's (an order without a raw one has its cost over the quantity); ``fee`` is None
    for a venue whose fee is not among its raw fields."""
    placed = order(venue, raw_order, fields)
    fill = trade(venue, raw_trade, fields)
    ordered = order_reads("order", placed, AMOUNT, FILLED, PRICE, average)
    return ordered | trade_reads(fill, AMOUNT, PRICE, fee)


def binance_long(fields: RawFields | None) -> Numbers:
    raw_order = body("binance", "create_order_spot_limit")
    raw_order.update(
        origQty=AMOUNT, executedQty=FILLED, price=PRICE, cummulativeQuoteQty=COST, status="NEW"
    )
    raw_trade = body("binance", "fetch_my_trades_spot")[0]
    raw_trade.update(qty=AMOUNT, price=PRICE, commission=FEE)
    response = body("binance", "fetch_balance_spot")
    response["balances"][1].update(free=FREE, locked=USED)
    ltc = balances("binance", response, fields)["LTC"]
    ordered = long_order_and_trade("binance", raw_order, raw_trade, fields, COST_AVERAGE)
    return ordered | balance_reads("balance", ltc, FREE, USED)


def coinbase_long(fields: RawFields | None) -> Numbers:
    raw_order = body("coinbase", "list_orders_filled")["orders"][0]
    # A partly filled limit order (as we place) in place of the recorded market order.
    raw_order["order_configuration"] = {
        "limit_limit_gtc": {"base_size": AMOUNT, "limit_price": PRICE, "post_only": False}
    }
    raw_order.update(status="OPEN", filled_size=FILLED, average_filled_price=AVERAGE)
    raw_trade = body("coinbase", "fetch_my_trades")["fills"][0]
    raw_trade.update(size=AMOUNT, price=PRICE, commission=FEE)
    response = body("coinbase", "accounts_v3")
    response["accounts"][0]["available_balance"]["value"] = FREE
    response["accounts"][0]["hold"]["value"] = USED
    usdc = balances("coinbase", response, fields)["USDC"]
    ordered = long_order_and_trade("coinbase", raw_order, raw_trade, fields)
    return ordered | balance_reads("balance", usdc, FREE, USED)


def kraken_long(fields: RawFields | None) -> Numbers:
    raw_order = kraken_keyed(
        body("kraken", "open_orders_partial")["result"]["open"], "OQCLML-BW3P3-BUCMWZ"
    )
    raw_order.update(vol=AMOUNT, vol_exec=FILLED, price=AVERAGE)
    raw_order["descr"]["price"] = PRICE
    raw_trade = kraken_keyed(
        body("kraken", "trades_history")["result"]["trades"], "THVRQM-33VKH-UCI7BS"
    )
    raw_trade.update(vol=AMOUNT, price=PRICE, fee=FEE)
    return long_order_and_trade("kraken", raw_order, raw_trade, fields)


def okx_long(fields: RawFields | None) -> Numbers:
    raw_order = body("okx", "fetch_order")["data"][0]
    # A partly filled limit order (as we place) in place of the recorded market order.
    raw_order.update(
        ordType="limit", state="partially_filled", sz=AMOUNT, accFillSz=FILLED, px=PRICE
    )
    raw_order["avgPx"] = AVERAGE
    raw_trade = body("okx", "fetch_my_trades")["data"][0]
    raw_trade.update(fillSz=AMOUNT, fillPx=PRICE)
    response = body("okx", "fetch_balance")
    btc, eth = response["data"][0]["details"][1], response["data"][0]["details"][3]
    btc["availEq"] = FREE
    # Without availEq (OKX leaves it empty outside margin modes) ccxt reads availBal and
    # frozenBal.
    eth.update(availEq="", availBal=FREE, frozenBal=USED)
    held = balances("okx", response, fields)
    return (
        long_order_and_trade("okx", raw_order, raw_trade, fields, fee=None)
        | balance_reads("BTC (availEq)", held["BTC"], FREE)
        | balance_reads("ETH (availBal, frozenBal)", held["ETH"], FREE, USED)
    )


def bybit_long_bodies(**order_fields: Any) -> tuple[Any, Any, Any]:
    """Bybit's recorded open order (given ``order_fields`` too), fill and wallet bodies with
    the long numbers written in."""
    orders = body("bybit", "open_order")
    orders["result"]["list"][0].update(
        qty=AMOUNT, cumExecQty=FILLED, price=PRICE, avgPrice=AVERAGE, **order_fields
    )
    fills = body("bybit", "my_trades")
    fills["result"]["list"][0].update(execQty=AMOUNT, execPrice=PRICE, execFee=FEE)
    wallet = body("bybit", "balance")
    btc = next(c for c in wallet["result"]["list"][0]["coin"] if c["coin"] == "BTC")
    btc["availableToWithdraw"] = FREE
    return orders, fills, wallet


def bybit_long(fields: RawFields | None) -> Numbers:
    orders, fills, wallet = bybit_long_bodies(orderStatus="PartiallyFilled", cumExecValue=COST)
    raw_order = orders["result"]["list"][0]
    # The same order as Bybit may write it without an average: cost over quantity.
    no_average = {**raw_order, "avgPrice": "0"}
    return (
        long_order_and_trade("bybit", raw_order, fills["result"]["list"][0], fields)
        | order_reads("cost-only order", order("bybit", no_average, fields), average=COST_AVERAGE)
        | balance_reads("balance", balances("bybit", wallet, fields)["BTC"], FREE)
    )


# Per venue: its recorded bodies' numbers, and its bodies' numbers with the long ones written in
# (read through the given raw fields, or the profile's).
VENUES: dict[str, tuple[Callable[[], Numbers], Callable[[RawFields | None], Numbers]]] = {
    "binance": (binance_recorded, binance_long),
    "coinbase": (coinbase_recorded, coinbase_long),
    "kraken": (kraken_recorded, kraken_long),
    "okx": (okx_recorded, okx_long),
    "bybit": (bybit_recorded, bybit_long),
}


@pytest.mark.parametrize("venue", sorted(VENUES))
def test_recorded_numbers_are_the_venues_strings(venue: str) -> None:
    recorded_numbers, _ = VENUES[venue]
    assert_exact(recorded_numbers())


@pytest.mark.parametrize("venue", sorted(VENUES))
def test_the_raw_path_keeps_every_digit_the_float_path_does_not(venue: str) -> None:
    _, long_numbers = VENUES[venue]
    assert_exact(long_numbers(None))
    for name, (value, text) in long_numbers(FLOATS).items():
        assert value != D(text), f"{name}: the float path kept {text}"


# ----------------------------------------------- keys that mean something else


def test_a_coinbase_fill_sized_in_quote_currency_keeps_ccxts_base_amount() -> None:
    raw = body("coinbase", "fetch_my_trades")["fills"][0]
    # ccxt's own example of such a fill: size is 0.0046830664333996 USDT.
    raw.update(size="0.0046830664333996", price="21220.64", size_in_quote=True)
    unified = exchange("coinbase").parse_trade(raw)
    fill = parse_trade(unified, raw_fields=profile_for("coinbase").raw_fields)
    assert fill.amount == D(repr(unified["amount"])) != D("0.0046830664333996")
    assert exact(fill.price, "21220.64")


def test_an_okx_market_buy_sized_in_quote_currency_keeps_ccxts_amount() -> None:
    raw = body("okx", "fetch_order")["data"][0]
    # A market buy for 50 USDT: sz is a quote amount.
    raw.update(tgtCcy="quote_ccy", sz="50")
    placed = order("okx", raw)
    assert placed.amount == D("0.1"), "ccxt: a filled order's amount is what filled"


def test_a_bybit_market_buy_in_quote_currency_keeps_ccxts_amount_and_price() -> None:
    # Recorded: a market buy of 50 USDT (qty "50.00000000", marketUnit quoteCoin, price "0").
    closed = order("bybit", body("bybit", "closed_order")["result"]["list"][0])
    assert closed.amount == D("0.000544"), "ccxt: filled + leavesQty"
    assert exact(closed.filled, "0.000544")
    assert exact(closed.average, "91760.9")
    assert closed.price == D("91760.9"), "ccxt gives a market order its average as price"


def test_a_kraken_trigger_price_is_not_read_as_a_limit_price() -> None:
    # Recorded: a take-profit order; descr.price (120) is its trigger.
    resting = order(
        "kraken",
        kraken_keyed(body("kraken", "fetch_open_orders")["result"]["open"], "OXCZ7B-EMVZQ-MTJTQJ"),
    )
    assert resting.price is None
    assert exact(resting.amount, "0.10000000")


def test_a_binance_fee_asset_is_binances_own_name() -> None:
    raw = body("binance", "fetch_my_trades_spot")[0]
    # An asset ccxt renames (commonCurrencies YOYO: YOYOW); the commissionAsset is kept as sent.
    raw["commissionAsset"] = "YOYO"
    assert exchange("binance").parse_trade(raw)["fee"]["currency"] == "YOYOW"
    assert trade("binance", raw).fee_asset == "YOYO"


def test_kraken_balances_stay_ccxts() -> None:
    response = body("kraken", "balance_ex")
    # BalanceEx has no free amount: ccxt subtracts hold_trade from balance.
    response["result"]["XXBT"]["hold_trade"] = USED
    held = balances("kraken", response)
    assert held == balances("kraken", response, FLOATS)
    assert held["BTC"].locked == D(repr(float(USED))) != D(USED)
    assert held["USD"] == Balance(asset="USD", free=D("17185.45"), locked=D("8249.76"))


def test_a_currency_in_two_coinbase_wallets_is_ccxts_sum() -> None:
    response = body("coinbase", "accounts_v3")
    first = response["accounts"][0]
    first["available_balance"]["value"] = "1.5"
    second = json.loads(json.dumps(first))
    second.update(uuid="22222222-2222-2222-2222-222222222222", type="ACCOUNT_TYPE_FIAT")
    second["available_balance"]["value"] = "2.25"
    response["accounts"].append(second)
    assert balances("coinbase", response)["USDC"].free == D("3.75")


# ----------------------------------------------------------- through the gateway


async def test_the_gateway_reads_the_profiles_raw_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    rv = recorded_venue(monkeypatch, "bybit")
    # Our client id too: the lookup's key.
    orders, fills, wallet = bybit_long_bodies(orderLinkId="ours-1")
    rv.session.on("GET", r"^/v5/order/realtime$", Reply(orders))
    rv.session.on("GET", r"^/v5/execution/list$", Reply(fills))
    rv.session.on("GET", r"^/v5/account/wallet-balance$", Reply(wallet))

    (listed,) = await rv.gateway.open_orders("LTC/USDT")
    found = await rv.gateway.fetch_order("LTC/USDT", "ours-1")
    (fill,) = await rv.gateway.trades("ETH/USDT")
    held = await rv.gateway.balances()
    await rv.gateway.close()

    assert found is not None
    assert_exact(
        order_reads("open_orders", listed, AMOUNT, FILLED, PRICE, AVERAGE)
        | order_reads("fetch_order", found, AMOUNT, FILLED, PRICE, AVERAGE)
        | trade_reads(fill, AMOUNT, PRICE, FEE)
        | balance_reads("BTC", held["BTC"], FREE)
    )
