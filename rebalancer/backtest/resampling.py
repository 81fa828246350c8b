"""Other histories like the real one: a block bootstrap of the period's days.

One price history is one draw; a cut measured on it has no error bar. A resample keeps the
period's length and its calendar, and replays blocks of ``block_days`` consecutive real days
drawn with replacement, every asset the same days (so their correlation, and a block's
volatility clustering, survive). Each day keeps its shape relative to its own open (high,
low and close over open) and its overnight gap (open over the previous close); prices are
chained from the period's first open, so levels wander as the returns say. Days before the
period stay as they were: they are the history the volatility estimates warm up on.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal

from rebalancer.domain.numbers import ONE, div, exact
from rebalancer.paper.daily_bars import DailyBar, fill_gaps
from rebalancer.paper.seeding import derive_seed

BLOCK_DAYS = 10
# Prices keep this many decimal places: finer than any tick, coarse enough to stay small.
PLACES = Decimal("1e-10")


@exact
def block_bootstrap(
    bars: Mapping[str, Sequence[DailyBar]],
    first: date,
    last: date,
    *,
    seed: int,
    resample: int,
    block_days: int = BLOCK_DAYS,
    length: int | None = None,
) -> dict[str, list[DailyBar]]:
    """Every asset's bars from ``first`` on replaced by resample ``resample``: ``length``
    days (the period's own length unless given) drawn in blocks from ``first``..``last``."""
    filled = {name: fill_gaps(sorted(rows, key=lambda b: b.day)) for name, rows in bars.items()}
    period = {name: [b for b in rows if first <= b.day <= last] for name, rows in filled.items()}
    days = min(len(rows) for rows in period.values())
    if days == 0:
        raise ValueError(f"no common days between {first} and {last}")
    rng = random.Random(derive_seed(seed, "bootstrap", resample))
    block = max(1, min(block_days, days))
    wanted = days if length is None else length
    if wanted < 1:
        raise ValueError("a resample needs at least one day")
    picks: list[int] = []
    while len(picks) < wanted:
        start = rng.randrange(0, days - block + 1)
        picks.extend(range(start, start + block))
    picks = picks[:wanted]
    result: dict[str, list[DailyBar]] = {}
    for name, rows in filled.items():
        before = [b for b in rows if b.day < first]
        source = period[name]
        chained: list[DailyBar] = []
        previous_close: Decimal | None = None
        for offset, pick in enumerate(picks):
            bar = source[pick]
            gap = div(bar.open, source[pick - 1].close) if pick > 0 else ONE
            opened = source[0].open if previous_close is None else previous_close * gap
            scale = div(opened, bar.open)
            made = DailyBar(
                day=first + timedelta(days=offset),
                open=_price(opened),
                high=_price(bar.high * scale),
                low=_price(bar.low * scale),
                close=_price(bar.close * scale),
                volume=bar.volume,
                synthetic=bar.synthetic,
            )
            chained.append(_consistent(made))
            previous_close = made.close
        result[name] = [*before, *chained]
    return result


def _price(value: Decimal) -> Decimal:
    return value.quantize(PLACES)


def _consistent(bar: DailyBar) -> DailyBar:
    """Rounding may nudge the open or close a hair past the range: widen the range."""
    high = max(bar.high, bar.open, bar.close)
    low = min(bar.low, bar.open, bar.close)
    if high == bar.high and low == bar.low:
        return bar
    return bar.model_copy(update={"high": high, "low": low})
