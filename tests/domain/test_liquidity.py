"""Liquidity verdicts: the seed's 1%-of-top-10 rule by default, configurable, and legal orders."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rebalancer.domain.liquidity import assess_liquidity, minimum_notional
from rebalancer.domain.market import OrderBook, Side
from rebalancer.domain.orders import limit_price
from rebalancer.domain.policy_settings import ExecutionStyle, PolicySettings
from rebalancer.domain.snapshot import Snapshot
from tests.domain.strategies import PROPERTY, books, on_grid, rules

D = Decimal


def _btc(seed: Snapshot) -> tuple[OrderBook, Snapshot]:
    book = seed.book("BTC")
    assert book is not None
    return book, seed


def test_default_rule_is_one_percent_of_top_ten_depth(seed_snapshot: Snapshot) -> None:
    book, seed = _btc(seed_snapshot)
    policy = PolicySettings()
    assert (policy.max_depth_fraction, policy.depth_levels) == (D("0.01"), 10)
    # Top-10 bids of the seed book hold 31.7538 BTC: 1% is 0.317538, 0.31753 on the step.
    assessment = assess_liquidity(book, "sell", D("0.36286"), seed.rules("BTC"), policy)
    assert assessment.depth == D("31.7538")
    assert assessment.absorbable == D("0.31753")
    assert assessment.verdict == "slice"
    assert assessment.quantity == D("0.31753")
    whole = assess_liquidity(book, "sell", D("0.3"), seed.rules("BTC"), policy)
    assert (whole.verdict, whole.quantity) == ("execute", D("0.3"))


def test_queue_when_the_leg_exceeds_the_depth_share_and_slicing_is_off(
    seed_snapshot: Snapshot,
) -> None:
    book, seed = _btc(seed_snapshot)
    policy = PolicySettings(allow_slicing=False)
    assessment = assess_liquidity(book, "sell", D("0.36286"), seed.rules("BTC"), policy)
    assert assessment.verdict == "queue"
    assert assessment.quantity == 0


def test_the_depth_rule_is_configurable(seed_snapshot: Snapshot) -> None:
    book, seed = _btc(seed_snapshot)
    wider = PolicySettings(max_depth_fraction=D("0.05"))
    assert assess_liquidity(book, "sell", D("0.36286"), seed.rules("BTC"), wider).verdict == (
        "execute"
    )
    top_one = PolicySettings(depth_levels=1)
    assessment = assess_liquidity(book, "sell", D("0.36286"), seed.rules("BTC"), top_one)
    assert assessment.depth == D("0.84210")
    assert (assessment.verdict, assessment.quantity) == ("slice", D("0.00842"))


def test_the_slippage_budget_also_caps_what_the_book_absorbs(seed_snapshot: Snapshot) -> None:
    book, seed = _btc(seed_snapshot)
    none = PolicySettings(slippage_budget_bps=D(0))
    assert assess_liquidity(book, "sell", D("0.1"), seed.rules("BTC"), none).verdict == "queue"


def test_no_book_queues() -> None:
    assessment = assess_liquidity(None, "buy", D(1), rules(), PolicySettings())
    assert assessment.verdict == "queue"
    assert assessment.quantity == 0


def test_minimum_notional_is_checked_at_the_limit_price_not_at_mid() -> None:
    book = OrderBook.from_pairs([(D("9.9"), D(100))], [(D("10.1"), D(100))])
    market = rules(tick=D("0.1"), step=D("0.1"), min_notional=D(10))
    policy = PolicySettings(
        min_trade_notional=D(0), max_depth_fraction=D(1), slippage_budget_bps=D(200)
    )
    # 1.0 at mid is 10.0, but a passive buy rests at 9.9: the venue would refuse 9.90.
    assessment = assess_liquidity(book, "buy", D("1.0"), market, policy)
    assert assessment.verdict == "queue"
    assert "minimum" in assessment.reason
    assert assess_liquidity(book, "buy", D("1.1"), market, policy).verdict == "execute"


@PROPERTY
@given(
    book=books(),
    quantity=on_grid(0, 10**8, 3),
    minimum=on_grid(0, 10**7, 2),
    fraction=st.sampled_from([D("0.01"), D("0.1"), D(1)]),
    side=st.sampled_from(["buy", "sell"]),
    style=st.sampled_from(["passive", "marketable"]),
)
def test_what_liquidity_lets_through_is_a_legal_order(
    book: OrderBook,
    quantity: Decimal,
    minimum: Decimal,
    fraction: Decimal,
    side: Side,
    style: ExecutionStyle,
) -> None:
    market = rules(step=D("0.001"), tick=D("0.01"), min_notional=minimum, min_qty=D("0.001"))
    policy = PolicySettings(max_depth_fraction=fraction)
    assessment = assess_liquidity(book, side, quantity, market, policy)
    if assessment.verdict == "queue":
        assert assessment.quantity == 0
        return
    assert assessment.verdict == ("execute" if assessment.quantity == quantity else "slice")
    amount = assessment.quantity
    assert 0 < amount <= quantity
    assert amount % market.step_size == 0
    assert amount <= assessment.absorbable
    price = limit_price(book, side, market, style, assessment.cost, policy.slippage_budget_bps)
    assert price % market.tick_size == 0
    assert amount * price >= minimum_notional(market, policy)
