"""Execution cost: a hand-checked book walk, monotone in size, symmetric between sides."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rebalancer.domain.costs import estimate_cost, max_quantity_within_budget
from rebalancer.domain.market import OrderBook, Side
from rebalancer.domain.numbers import CONTEXT, PRECISION
from tests.domain.strategies import PROPERTY, books, mirrored, on_grid, rules

D = Decimal


def _book(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> OrderBook:
    return OrderBook.from_pairs([(D(p), D(q)) for p, q in bids], [(D(p), D(q)) for p, q in asks])


BOOK = _book([("99", "1"), ("98", "2"), ("96", "5")], [("101", "1"), ("102", "2"), ("104", "5")])


def _deviation(book: OrderBook, side: Side, quantity: Fraction) -> Fraction:
    """Exact sum of (price - mid) * fill over the walk, signed for ``side``: the oracle."""
    mid = (Fraction(book.asks[0].price) + Fraction(book.bids[0].price)) / 2
    levels = book.asks if side == "buy" else book.bids
    left, total = quantity, Fraction(0)
    for level in levels:
        take = min(left, Fraction(level.quantity))
        gap = Fraction(level.price) - mid if side == "buy" else mid - Fraction(level.price)
        total += gap * take
        left -= take
    return total


def test_marketable_buy_matches_a_hand_computed_walk() -> None:
    cost = estimate_cost(BOOK, "buy", D("2.5"), rules(fee=D("0.001")))
    # 1 @ 101 and 1.5 @ 102 against a mid of 100.
    assert cost.mid == 100
    assert cost.filled == D("2.5")
    assert cost.fully_absorbed
    assert cost.vwap == D("101.6")
    assert cost.worst_price == 102
    assert cost.fee == D("0.254")
    assert cost.spread == D("2.5")
    assert cost.impact == D("1.5")
    assert cost.total == D("4.254")
    assert cost.total_bps == D("170.16")


def test_marketable_sell_matches_a_hand_computed_walk() -> None:
    cost = estimate_cost(BOOK, "sell", D("2.5"), rules(fee=D("0.001")))
    # 1 @ 99 and 1.5 @ 98.
    assert cost.vwap == D("98.4")
    assert cost.worst_price == 98
    assert cost.fee == D("0.246")
    assert (cost.spread, cost.impact) == (D("2.5"), D("1.5"))
    assert cost.total == D("4.246")
    assert cost.total_bps == D("169.84")


def test_a_walk_past_the_book_prices_what_the_book_holds() -> None:
    cost = estimate_cost(BOOK, "buy", D(10), rules(fee=D(0)))
    assert cost.filled == 8
    assert not cost.fully_absorbed
    assert cost.requested == 10
    assert cost.worst_price == 104
    assert cost.total == 1 * 1 + 2 * 2 + 5 * 4


def test_a_passive_order_earns_the_half_spread_and_pays_the_maker_fee() -> None:
    cost = estimate_cost(BOOK, "buy", D(2), rules(fee=D("0.001")), "passive")
    assert cost.vwap == 99
    assert cost.spread == D(-2)
    assert cost.fee == D("0.198")
    assert cost.total == D("-1.802")
    sell = estimate_cost(BOOK, "sell", D(2), rules(fee=D("0.001")), "passive")
    assert sell.vwap == 101
    assert sell.spread == D(-2)


def test_a_one_sided_book_cannot_be_priced() -> None:
    with pytest.raises(ValueError, match="one-sided"):
        estimate_cost(_book([], [("101", "1")]), "buy", D(1), rules())


sizes = on_grid(0, 10**9, 4)
fees = on_grid(0, 100, 4)


@PROPERTY
@given(book=books(), small=sizes, extra=sizes, fee=fees, side=st.sampled_from(["buy", "sell"]))
def test_cost_is_monotone_in_size(
    book: OrderBook, small: Decimal, extra: Decimal, fee: Decimal, side: Side
) -> None:
    market = rules(fee=fee)
    less = estimate_cost(book, side, small, market)
    more = estimate_cost(book, side, small + extra, market)
    assert less.total <= more.total
    assert less.spread + less.impact <= more.spread + more.impact
    if less.filled > 0:
        assert less.total_bps <= more.total_bps
    # The walk itself is exact: its deviation from mid is the oracle's, to the last digit.
    assert Fraction(more.spread + more.impact) == _deviation(book, side, Fraction(more.filled))


@PROPERTY
@given(book=books(), quantity=sizes, fee=fees)
def test_buys_and_sells_cost_the_same_in_a_mirrored_book(
    book: OrderBook, quantity: Decimal, fee: Decimal
) -> None:
    market = rules(fee=fee)
    buy = estimate_cost(book, "buy", quantity, market)
    sell = estimate_cost(mirrored(book), "sell", quantity, market)
    assert (buy.filled, buy.spread, buy.impact) == (sell.filled, sell.spread, sell.impact)
    # Each VWAP is one division rounded to 34 digits, so the two agree to its last digit.
    gap = CONTEXT.subtract(
        CONTEXT.subtract(buy.vwap, buy.mid), CONTEXT.subtract(sell.mid, sell.vwap)
    )
    assert abs(gap) <= Decimal(1).scaleb(buy.vwap.adjusted() - PRECISION + 1)
    # The fee is on the notional, which differs: the rate is what is symmetric.
    assert buy.fee * sell.vwap * sell.filled == sell.fee * buy.vwap * buy.filled


def test_budget_boundary_at_a_level_edge_is_exact() -> None:
    book = _book([("99", "1")], [("101", "1"), ("103", "1"), ("110", "10")])
    # After two levels the VWAP is 102: exactly 200 bps from a mid of 100.
    assert max_quantity_within_budget(book, "buy", D(200)) == 2
    assert max_quantity_within_budget(book, "buy", D("199.99")) < 2
    assert max_quantity_within_budget(book, "buy", D(0)) == 0
    assert max_quantity_within_budget(book, "buy", D(10_000)) == 12


def test_budget_boundary_inside_a_level_is_solved_exactly() -> None:
    book = _book([("99", "1")], [("101", "1"), ("104", "10")])
    # (1 + 4x) / (1 + x) = 2  =>  x = 0.5
    assert max_quantity_within_budget(book, "buy", D(200)) == D("1.5")
    sell_book = _book([("99", "1"), ("96", "10")], [("101", "1")])
    assert max_quantity_within_budget(sell_book, "sell", D(200)) == D("1.5")


def test_budget_answer_never_overshoots_in_its_last_digit() -> None:
    book = _book([("99", "1")], [("101", "1"), ("103.5", "10")])
    # (1 + 3.5x) / (1 + x) = 2  =>  x = 2/3, which half-even rounds up in the 34th digit.
    quantity = max_quantity_within_budget(book, "buy", D(200))
    assert _deviation(book, "buy", Fraction(quantity)) <= 2 * Fraction(quantity)
    assert Fraction(quantity) > Fraction(5, 3) - Fraction(1, 10**32)


@PROPERTY
@given(book=books(), budget=on_grid(0, 100_000, 1), side=st.sampled_from(["buy", "sell"]))
def test_max_quantity_within_budget_is_the_largest_within_budget(
    book: OrderBook, budget: Decimal, side: Side
) -> None:
    quantity = max_quantity_within_budget(book, side, budget)
    mid = (Fraction(book.asks[0].price) + Fraction(book.bids[0].price)) / 2
    allowance = Fraction(budget) * mid / 10_000
    depth = sum((Fraction(lvl.quantity) for lvl in book.side_taken_by(side)), Fraction(0))
    assert 0 <= quantity <= depth
    assert _deviation(book, side, Fraction(quantity)) <= allowance * Fraction(quantity)
    if quantity < depth:
        beyond = Fraction(quantity) + Fraction(1, 10**20)
        assume(beyond <= depth)
        assert _deviation(book, side, beyond) > allowance * beyond
    assert max_quantity_within_budget(mirrored(book), _other(side), budget) == quantity


def _other(side: Side) -> Side:
    return "sell" if side == "buy" else "buy"
