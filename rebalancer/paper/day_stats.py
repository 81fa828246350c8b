"""Rolling 24-hour statistics for a ticker, read off the market model's price path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from rebalancer.paper.market_model import to_grid
from rebalancer.paper.matching import MatchingEngine
from rebalancer.paper.price_paths import to_decimal

SAMPLES = 48


@dataclass(frozen=True)
class DayStats:
    open: Decimal
    high: Decimal
    low: Decimal
    last: Decimal
    volume: Decimal
    quote_volume: Decimal
    open_time: datetime
    close_time: datetime


def day_stats(engine: MatchingEngine, now: datetime) -> DayStats:
    """Open, high, low and last over the past 24 hours of market time (sampled, not exact).

    Volume is the background flow's expected turnover, since the venue does not keep every
    background trade.
    """
    market_now = engine.market_time(now)
    path = engine.model.path
    tick = engine.instrument.tick_size
    prices = [
        to_grid(
            to_decimal(path.sample(market_now - timedelta(days=1) * (1 - i / SAMPLES)).mid),
            tick,
            ROUND_HALF_EVEN,
        )
        for i in range(SAMPLES + 1)
    ]
    flow = engine.instrument.flow_notional_per_second * Decimal(2 * 86_400)
    flow *= to_decimal(engine.model.liquidity.flow)
    last = prices[-1]
    volume = (flow / last).quantize(engine.instrument.step_size)
    return DayStats(
        open=prices[0],
        high=max(prices),
        low=min(prices),
        last=last,
        volume=volume,
        quote_volume=(volume * last).quantize(tick),
        open_time=now - timedelta(days=1),
        close_time=now,
    )
