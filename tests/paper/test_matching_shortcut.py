"""The engine's shortcut for flow the background ahead of every participant absorbs: a
resting order's steps must leave the engine exactly as the general sweep leaves it."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from rebalancer.paper.matching import MatchingEngine
from rebalancer.paper.orders import OrderRequest
from rebalancer.paper.scenarios import Liquidity, scenario_named
from rebalancer.paper.venue import PaperVenue, build_venue
from tests.paper.market_doubles import T0

D = Decimal
SYMBOL = "BTC/USDT"


# Thin levels and heavy flow: the flow often empties a level and spills into the next,
# whose depletion from earlier steps then decides how far it reaches.
SPILLING = replace(scenario_named("calm"), liquidity=Liquidity(depth=0.05, flow=2.0))


def venue_with_deep_orders() -> PaperVenue:
    """A moving market with a buy and a sell resting a few levels behind the background."""
    venue = build_venue(SPILLING, seed=7, start=T0, path_step=timedelta(minutes=5))
    venue.add_account("a", {"USDT": D("10000000"), "BTC": D("100")})
    book = venue.book(SYMBOL, T0, 11)
    for side, level in (("buy", book.bids[10]), ("sell", book.asks[10])):
        request = OrderRequest(SYMBOL, side, "limit", quantity=D("0.5"), price=level.price)  # type: ignore[arg-type]
        venue.place_order("a", request, T0)
    return venue


def engine_state(engine: MatchingEngine) -> str:
    """Everything a later step reads, exactly, Decimal representations included."""
    depletion = {
        side: [(price, entry.amount, entry.at) for price, entry in entries.items()]
        for side, entries in engine._depletion.items()
    }
    orders = [(o.order_id, o.remaining, o.queue_ahead, o.status) for o in engine.resting_orders()]
    return repr((depletion, orders, engine._rng.getstate(), engine.book(20)))


def test_absorbed_steps_leave_the_engine_as_the_general_sweep_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shortcut = venue_with_deep_orders()
    general = venue_with_deep_orders()
    walked = general.engine(SYMBOL)
    monkeypatch.setattr(walked, "_absorbed_by_background", lambda *_: False)
    taken = 0
    absorbed = MatchingEngine._absorbed_by_background

    def counted(self: MatchingEngine, *args: object) -> bool:
        nonlocal taken
        result = absorbed(self, *args)  # type: ignore[arg-type]
        taken += result
        return result

    monkeypatch.setattr(MatchingEngine, "_absorbed_by_background", counted)
    now, spilled = T0, 0
    for _ in range(24):
        now += timedelta(minutes=5)
        fills = shortcut.advance(now, [SYMBOL])
        spilled += sum(len(entries) > 1 for entries in shortcut.engine(SYMBOL)._depletion.values())
        assert repr(fills) == repr(general.advance(now, [SYMBOL]))
        assert engine_state(shortcut.engine(SYMBOL)) == engine_state(walked)
    assert taken > 100, "the shortcut was not exercised"
    assert spilled > 5, "no flow spilled past a level: depletion was not exercised"


def test_a_book_without_participants_shows_what_the_merged_walk_shows() -> None:
    venue = build_venue(SPILLING, seed=3, start=T0, path_step=timedelta(minutes=5))
    venue.add_account("a", {"USDT": D("100000000"), "BTC": D("1000")})
    engine = venue.engine(SYMBOL)
    asks = venue.book(SYMBOL, T0, 3).asks
    # Take the first two levels whole and part of the third: depleted levels to skip.
    wanted = asks[0].quantity + asks[1].quantity + asks[2].quantity / 2
    request = OrderRequest(SYMBOL, "buy", "market", quantity=wanted.quantize(D("0.00001")))  # type: ignore[arg-type]
    venue.place_order("a", request, T0)
    for later in (0, 1, 3, 10, 40, 400):
        venue.advance(T0 + timedelta(seconds=later), [SYMBOL])
        state = engine.state()
        for side in ("bid", "ask"):
            merged = list(itertools.islice(engine._levels(state, side, None), 20))  # type: ignore[arg-type]
            assert repr(engine._displayed(state, side, 20)) == repr(merged)  # type: ignore[arg-type]
    assert engine.resting == 0
