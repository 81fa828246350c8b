"""Resting orders fill more when the price moves against them (informed flow)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from rebalancer.paper.instruments import DEFAULT_INSTRUMENTS
from rebalancer.paper.market_model import MarketModel
from rebalancer.paper.matching import MatchingEngine
from rebalancer.paper.price_paths import PathSample
from rebalancer.paper.scenarios import Liquidity

START = datetime(2024, 1, 1, tzinfo=UTC)


class Ramp:
    """A mid that moves by ``per_hour`` (relative) every hour, at a fixed volatility."""

    def __init__(self, per_hour: float) -> None:
        self.per_hour = per_hour

    @property
    def start(self) -> datetime:
        return START

    def sample(self, moment: datetime) -> PathSample:
        hours = (moment - START).total_seconds() / 3600
        return PathSample(40_000 * (1 + self.per_hour) ** hours, 0.5)


def _bid_flow(per_hour: float, tilt: float) -> float:
    """Expected background sell flow at the bid over 400 steps of 30 s."""
    inst = DEFAULT_INSTRUMENTS[0]
    model = MarketModel(inst, Ramp(per_hour), liquidity=Liquidity(adverse_selection=tilt), seed=3)
    engine = MatchingEngine(model, seed=3)
    engine.advance(START)
    total = 0.0
    state = engine.state()
    for step in range(400):
        moment = START + timedelta(seconds=30 * (step + 1))
        previous = state.mid
        state = model.state(moment)
        total += engine.flow_rate("bid", state, 30.0, previous)
    return total


def test_flow_at_the_bid_rises_when_the_price_falls_and_falls_when_it_rises() -> None:
    falling, rising = _bid_flow(-0.01, 0.5), _bid_flow(0.01, 0.5)
    flat = _bid_flow(0.0, 0.5)
    assert falling > flat > rising


def test_without_adverse_selection_direction_does_not_matter() -> None:
    assert _bid_flow(-0.01, 0.0) == _bid_flow(0.01, 0.0)


def test_on_average_the_tilt_keeps_the_flow() -> None:
    # exp(k z - k^2/2) has mean one for a standard normal z: checked on a grid of z.
    k = 0.5
    grid = [i / 100 for i in range(-600, 601)]
    weights = [math.exp(-z * z / 2) for z in grid]
    mean = sum(w * math.exp(k * z - k * k / 2) for w, z in zip(weights, grid, strict=True))
    assert abs(mean / sum(weights) - 1) < 1e-6
