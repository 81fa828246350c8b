"""Exact arithmetic: grids, passive rounding, and independence from the ambient context."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebalancer.domain.numbers import (
    CONTEXT,
    PRECISION,
    div,
    div_down,
    exact_sum,
    floor_to_step,
    round_to_tick,
    to_bps,
    to_places,
)
from tests.domain.strategies import PROPERTY, on_grid


def test_the_documented_context_has_at_least_28_digits_and_traps_errors() -> None:
    assert PRECISION >= 28
    assert CONTEXT.prec == PRECISION
    assert CONTEXT.traps[decimal.InvalidOperation]
    assert CONTEXT.traps[decimal.DivisionByZero]


@PROPERTY
@given(amount=on_grid(0, 10**15, 8), step=on_grid(1, 10**6, 8))
def test_floor_to_step_truncates_onto_the_grid(amount: Decimal, step: Decimal) -> None:
    floored = floor_to_step(amount, step)
    assert floored <= amount
    assert amount - floored < step
    assert floored % step == 0


def test_floor_to_step_is_exact_when_the_quotient_needs_more_than_34_digits() -> None:
    # 1e20 on a 1e-20 step is a 41-digit number of steps: a 34-digit context cannot hold it.
    assert floor_to_step(Decimal("1e20"), Decimal("1e-20")) == Decimal("1e20")
    amount = Decimal("123456789012345678.123456789012345678901")
    assert floor_to_step(amount, Decimal("1e-20")) == Decimal(
        "123456789012345678.12345678901234567890"
    )


def test_floor_to_step_refuses_a_negative_amount() -> None:
    with pytest.raises(ValueError, match="negative"):
        floor_to_step(Decimal("-1"), Decimal("0.1"))


@PROPERTY
@given(price=on_grid(1, 10**12, 6), tick=on_grid(1, 10**4, 4))
def test_round_to_tick_goes_to_the_passive_side(price: Decimal, tick: Decimal) -> None:
    buy = round_to_tick(price, tick, side="buy")
    sell = round_to_tick(price, tick, side="sell")
    assert buy % tick == 0
    assert sell % tick == 0
    # A buy never pays more, a sell never accepts less, than the price asked for.
    assert buy <= price <= sell
    assert price - buy < tick
    assert sell - price < tick
    if price % tick == 0:
        assert buy == sell == price


def test_round_to_tick_examples() -> None:
    tick = Decimal("0.01")
    assert round_to_tick(Decimal("64230.015"), tick, side="buy") == Decimal("64230.01")
    assert round_to_tick(Decimal("64230.015"), tick, side="sell") == Decimal("64230.02")
    assert round_to_tick(Decimal("64230.01"), tick, side="sell") == Decimal("64230.01")


def test_round_to_tick_does_not_round_a_long_price_up_past_the_grid() -> None:
    # 5.999... with 60 nines: rounded to 34 digits first it would become 6, and a buy limit
    # of 6 is more aggressive than the price chosen.
    price = Decimal("5." + "9" * 60)
    assert round_to_tick(price, Decimal(1), side="buy") == 5
    assert round_to_tick(price, Decimal(1), side="sell") == 6


def test_rounding_and_bps_ignore_a_narrow_ambient_context() -> None:
    with decimal.localcontext() as narrow:
        narrow.prec = 5
        assert round_to_tick(Decimal("64230.015"), Decimal("0.01"), side="sell") == Decimal(
            "64230.02"
        )
        assert floor_to_step(Decimal("1.23456789"), Decimal("0.00000001")) == Decimal("1.23456789")
        assert to_bps(Decimal("1.23456789"), Decimal("1000")) == Decimal("12.3456789")
        assert div(Decimal(1), Decimal(3)) == CONTEXT.divide(Decimal(1), Decimal(3))


def test_div_down_never_rounds_up() -> None:
    # Half-even rounds 2/3 up in its last digit; a bound must not.
    assert div(Decimal(2), Decimal(3)) > div_down(Decimal(2), Decimal(3))
    assert div_down(Decimal(2), Decimal(3)) == Decimal("0." + "6" * PRECISION)


@PROPERTY
@given(st.lists(on_grid(0, 10**40, 40), min_size=1, max_size=6))
def test_exact_sum_loses_no_digit(terms: list[Decimal]) -> None:
    total = exact_sum(terms)
    wide = decimal.Context(prec=200)
    units = sum(int(t.scaleb(40, context=wide)) for t in terms)
    assert total == Decimal(units).scaleb(-40, context=wide)


def test_exact_sum_sees_what_a_34_digit_sum_would_round_away() -> None:
    terms = [Decimal("0.5"), Decimal("0.5"), Decimal("1e-40")]
    assert CONTEXT.add(CONTEXT.add(terms[0], terms[1]), terms[2]) == 1
    assert exact_sum(terms) == Decimal("1.0000000000000000000000000000000000000001")
    assert exact_sum([Decimal("0.40"), Decimal("0.35"), Decimal("0.25")]) == 1


def test_to_places_rounds_half_even_whatever_the_size() -> None:
    assert to_places(Decimal("1.005"), 2) == Decimal("1.00")
    assert to_places(Decimal("1.015"), 2) == Decimal("1.02")
    assert to_places(Decimal("1e40"), 2) == Decimal("1e40")
