"""The headline: what ``cost_aware``'s frontier saves at equal tracking, against each rule.

For each baseline family, ``cost_aware``'s frontier is read at the tracking (RMS weight
drift) of each of the baseline's frontier points (``equal_tracking.compare``). The cut along
their frontier is summarised by its median (the typical saving) and its worst point (the
bar for "cheaper everywhere"). Over resamples (block-bootstrapped histories with their own
intraday paths) each summary gets a median and a 5-95% range.

The goals (issue "Proof of value"): at least 25% cheaper than every simple rule's frontier
with the 5th percentile of the cut above zero, and at least 68% cheaper than the daily cron
at its tracking (the seed article's claim). Goals are judged on the median cut along each
frontier; the worst point is reported beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.backtest.equal_tracking import (
    Comparison,
    Interval,
    Mark,
    Reading,
    compare,
    compare_point,
    interval,
)
from rebalancer.backtest.families import DAILY_CRON, FamilyPoint

REQUIRED_CUT = Decimal("0.25")
REQUIRED_CRON_CUT = Decimal("0.68")
OURS = "cost_aware"


@dataclass(frozen=True)
class Against:
    """``cost_aware`` against one baseline family."""

    baseline: str
    comparison: Comparison
    median: Interval | None
    worst: Interval | None
    required: Decimal

    @property
    def met(self) -> bool | None:
        cut = self.comparison.median
        if cut is None:
            return None
        if cut < self.required:
            return False
        return self.median is None or self.median.p5 > 0


@dataclass(frozen=True)
class CronReading:
    reading: Reading | None
    cut: Interval | None
    required: Decimal = REQUIRED_CRON_CUT

    @property
    def met(self) -> bool | None:
        if self.reading is None or self.reading.cut is None:
            return None
        return self.reading.cut >= self.required and (self.cut is None or self.cut.p5 > 0)


@dataclass(frozen=True)
class Headline:
    against: dict[str, Against]
    daily_cron: CronReading


Families = Mapping[str, Sequence[FamilyPoint]]


def _marks(points: Sequence[FamilyPoint]) -> list[Mark]:
    return [p.mark for p in points]


def headline(main: Families, resampled: Sequence[Families]) -> Headline | None:
    ours = main.get(OURS)
    if not ours:
        return None
    against: dict[str, Against] = {}
    for name, points in main.items():
        if name == OURS or not points:
            continue
        medians: list[Decimal] = []
        worsts: list[Decimal] = []
        for families in resampled:
            theirs, mine = families.get(name), families.get(OURS)
            if not theirs or not mine:
                continue
            each = compare(_marks(mine), _marks(theirs))
            if each.median is not None and each.worst is not None:
                medians.append(each.median)
                worsts.append(each.worst)
        against[name] = Against(
            baseline=name,
            comparison=compare(_marks(ours), _marks(points)),
            median=interval(medians),
            worst=interval(worsts),
            required=REQUIRED_CUT,
        )
    return Headline(against, _cron(main, resampled))


def _cron(main: Families, resampled: Sequence[Families]) -> CronReading:
    def reading(families: Families) -> Reading | None:
        cron = next((p for p in families.get("calendar", ()) if p.label == DAILY_CRON), None)
        ours = families.get(OURS)
        if cron is None or not ours:
            return None
        return compare_point(_marks(ours), cron.mark)

    cuts = [
        cut
        for families in resampled
        if (each := reading(families)) is not None and (cut := each.cut) is not None
    ]
    return CronReading(reading(main), interval(cuts))
