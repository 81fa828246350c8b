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
from rebalancer.backtest.frontier import Goal
from rebalancer.domain.numbers import plain, to_places

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


def headline_goals(found: Headline) -> list[Goal]:
    """The issue's goals at equal tracking, as the study's goal list."""
    result: list[Goal] = []
    for name, against in found.against.items():
        comparison = against.comparison
        spread = against.median
        interval_note = (
            f"; over {spread.samples} resamples {percent(spread.median)} "
            f"[{percent(spread.p5)}, {percent(spread.p95)}]"
            if spread is not None
            else ""
        )
        detail = (
            f"median cut {percent(comparison.median)} along {name}'s frontier, worst point "
            f"{percent(comparison.worst)}{interval_note}"
            if comparison.median is not None
            else f"no point of {name}'s frontier is within cost_aware's tracking range"
        )
        result.append(
            Goal(
                f"at equal RMS drift, >= {percent(against.required)} cheaper than {name}",
                against.met,
                detail,
            )
        )
    cron = found.daily_cron
    cut = cron.reading.cut if cron.reading is not None else None
    spread_note = (
        f"; over {cron.cut.samples} resamples {percent(cron.cut.median)} "
        f"[{percent(cron.cut.p5)}, {percent(cron.cut.p95)}]"
        if cron.cut is not None
        else ""
    )
    result.append(
        Goal(
            f"at the daily cron's RMS drift, >= {percent(cron.required)} cheaper than it",
            cron.met,
            f"cut {percent(cut)}{spread_note}"
            if cut is not None
            else "cost_aware's frontier does not track as tightly as the daily cron",
        )
    )
    return result


def percent(value: Decimal | None) -> str:
    """A cut or share as a percentage with one decimal; "-" when there is none."""
    return "-" if value is None else f"{plain(to_places(value * 100, 1))}%"
