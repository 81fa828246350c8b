"""Client order ids (deterministic, at most 36 characters) and passive limit prices."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebalancer.domain.costs import estimate_cost
from rebalancer.domain.market import OrderBook
from rebalancer.domain.orders import (
    client_order_id,
    is_valid_client_order_id,
    limit_price,
)
from tests.domain.strategies import PROPERTY, planned_order, rules

D = Decimal


def test_client_order_id_is_readable_and_deterministic() -> None:
    first = client_order_id("acct-1", 7, "BTC", 0)
    assert first == client_order_id("acct-1", 7, "BTC", 0)
    assert first.startswith("rb-")
    assert first.endswith("-7-BTC-0")
    assert is_valid_client_order_id(first)
    others = {
        client_order_id("acct-2", 7, "BTC", 0),
        client_order_id("acct-1", 8, "BTC", 0),
        client_order_id("acct-1", 7, "ETH", 0),
        client_order_id("acct-1", 7, "BTC", 1),
    }
    assert first not in others
    assert len(others) == 4


def test_client_order_id_falls_back_to_a_36_character_hash() -> None:
    long_leg = "X" * 40
    value = client_order_id("acct-1", 123456789, long_leg, 3)
    assert len(value) == 36
    assert is_valid_client_order_id(value)
    assert value == client_order_id("acct-1", 123456789, long_leg, 3)
    assert value != client_order_id("acct-1", 123456789, long_leg, 4)
    # A leg with characters the venue refuses is hashed too.
    assert is_valid_client_order_id(client_order_id("acct-1", 1, "BTC USDT", 0))


def test_client_order_id_refuses_negative_numbers() -> None:
    with pytest.raises(ValueError, match="negative"):
        client_order_id("a", -1, "BTC", 0)
    with pytest.raises(ValueError, match="negative"):
        client_order_id("a", 0, "BTC", -1)


@PROPERTY
@given(
    account=st.text(min_size=1, max_size=60),
    cycle=st.integers(0, 10**12),
    leg=st.text(min_size=1, max_size=40),
    slice_number=st.integers(0, 10**6),
)
def test_client_order_id_is_always_venue_legal_and_stable(
    account: str, cycle: int, leg: str, slice_number: int
) -> None:
    value = client_order_id(account, cycle, leg, slice_number)
    assert len(value) <= 36
    assert is_valid_client_order_id(value)
    assert value == client_order_id(account, cycle, leg, slice_number)
    assert value != client_order_id(account, cycle + 1, leg, slice_number)
    assert value != client_order_id(account, cycle, leg, slice_number + 1)


# Book prices off the 0.05 tick, so rounding shows its direction.
OFF_GRID = OrderBook.from_pairs(
    [(D("99.97"), D(1)), (D("99.91"), D(5))], [(D("100.03"), D(1)), (D("100.09"), D(5))]
)
TICK = rules(tick=D("0.05"), fee=D(0))


def test_passive_prices_join_the_touch_rounded_away_from_the_spread() -> None:
    buy = limit_price(OFF_GRID, "buy", TICK, "passive", None, D(50))
    sell = limit_price(OFF_GRID, "sell", TICK, "passive", None, D(50))
    assert buy == D("99.95")
    assert sell == D("100.05")


def test_marketable_prices_reach_the_walk_and_round_passive() -> None:
    walk_buy = estimate_cost(OFF_GRID, "buy", D(3), TICK)
    walk_sell = estimate_cost(OFF_GRID, "sell", D(3), TICK)
    assert limit_price(OFF_GRID, "buy", TICK, "marketable", walk_buy, D(50)) == D("100.05")
    assert limit_price(OFF_GRID, "sell", TICK, "marketable", walk_sell, D(50)) == D("99.95")
    # Without a walk: mid plus or minus the budget, still rounded toward the passive side.
    assert limit_price(OFF_GRID, "buy", TICK, "marketable", None, D(33)) == D("100.30")
    assert limit_price(OFF_GRID, "sell", TICK, "marketable", None, D(33)) == D("99.70")


def test_notional_keeps_every_digit_whatever_the_callers_context() -> None:
    order = planned_order(
        "X", amount=D("1.123456789012345678"), price=D("12345.12345678"), style="passive"
    )
    with decimal.localcontext() as default:
        default.prec = 28
        assert order.notional == D("13869.21275871504799848765279684")
