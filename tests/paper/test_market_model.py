"""The market model: spread and depth react to volatility; scenarios change the book."""

from __future__ import annotations

from decimal import Decimal

from rebalancer.paper.instruments import DEFAULT_INSTRUMENTS
from rebalancer.paper.market_model import MarketModel
from rebalancer.paper.scenarios import SCENARIOS
from tests.paper.market_doubles import T0, FixedPath


def model(volatility: float, scenario: str = "calm", index: int = 0) -> MarketModel:
    inst = DEFAULT_INSTRUMENTS[index]
    return MarketModel(
        inst,
        FixedPath(float(inst.start_price), volatility),
        liquidity=SCENARIOS[scenario].liquidity,
        seed=3,
    )


def test_higher_volatility_widens_the_spread_and_thins_the_book() -> None:
    quiet, stressed = model(0.3).book(T0, 10), model(1.5).book(T0, 10)
    spread = lambda book: book.asks[0].price - book.bids[0].price  # noqa: E731
    assert spread(stressed) > spread(quiet)
    assert stressed.depth("buy", 10) < quiet.depth("buy", 10) / 2
    assert stressed.depth("sell", 10) < quiet.depth("sell", 10) / 2


def test_the_thin_scenario_has_a_tenth_of_the_depth() -> None:
    calm, thin = model(0.5).book(T0, 10), model(0.5, "thin").book(T0, 10)
    ratio = thin.depth("buy", 10) / calm.depth("buy", 10)
    assert Decimal("0.08") < ratio < Decimal("0.12")
    assert thin.asks[0].price - thin.bids[0].price > calm.asks[0].price - calm.bids[0].price


def test_every_instrument_quotes_on_its_tick_and_step() -> None:
    for index, inst in enumerate(DEFAULT_INSTRUMENTS):
        book = model(0.6, index=index).book(T0, 30)
        mid = book.mid
        assert mid is not None
        assert abs(mid - inst.start_price) / inst.start_price < Decimal("0.001")
        for level in (*book.bids, *book.asks):
            assert level.price % inst.tick_size == 0
            assert level.quantity % inst.step_size == 0
        # Depth grows away from the touch.
        assert sum(lvl.quantity for lvl in book.bids[20:]) > sum(
            lvl.quantity for lvl in book.bids[:10]
        )


def test_a_level_keeps_its_size_while_the_mid_wobbles() -> None:
    inst = DEFAULT_INSTRUMENTS[0]
    path = FixedPath(42_000.0, 0.5)
    market = MarketModel(inst, path, seed=3)
    state = market.state(T0)
    price = state.best_bid - 10 * inst.level_spacing
    before = market.level_quantity(state, "bid", price)
    path.price = 41_999.9
    moved = market.state(T0.replace(second=1))
    assert moved.best_bid == state.best_bid
    after = market.level_quantity(moved, "bid", price)
    assert abs(after - before) / before < Decimal("0.0001")
    assert market.level_quantity(moved, "bid", price + inst.tick_size) == 0
