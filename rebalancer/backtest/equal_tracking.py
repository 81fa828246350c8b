"""Cost at equal tracking: one frontier's cost read at another frontier's tracking.

A policy family (a rule and its knob) traces points of (tracking, cost). Its frontier is the
efficient part: sorted by tracking, each point cheaper than every point that tracks more
tightly. The cost a frontier pays for a tracking level ``x`` is read between its two
bracketing points, linearly in log cost against log tracking (cost falls roughly as a power
of the band); looser than its loosest point it pays that point's cost (tracking better than
asked is allowed); tighter than its tightest point it has no answer, and the comparison says
so instead of extrapolating.

``compare(ours, theirs)`` reads our frontier at each of their frontier points and reports
the cut, ``1 - our cost / their cost``, at each; its ``worst`` is the bar a claim must clear
along their whole frontier, ``median`` the typical cut.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.domain.numbers import ONE, div, exact


@dataclass(frozen=True)
class Mark:
    """One point of a frontier: its label, what it cost and how closely it tracked."""

    label: str
    tracking: Decimal
    cost: Decimal


@dataclass(frozen=True)
class Reading:
    """Their point, and our cost at its tracking (None: we never track that tightly)."""

    theirs: Mark
    our_cost: Decimal | None

    @property
    def cut(self) -> Decimal | None:
        if self.our_cost is None or self.theirs.cost <= 0:
            return None
        return ONE - div(self.our_cost, self.theirs.cost)


@dataclass(frozen=True)
class Comparison:
    readings: tuple[Reading, ...]

    @property
    def cuts(self) -> list[Decimal]:
        return [r.cut for r in self.readings if r.cut is not None]

    @property
    def worst(self) -> Decimal | None:
        return min(self.cuts, default=None)

    @property
    def median(self) -> Decimal | None:
        return median(self.cuts)

    @property
    def unreached(self) -> list[str]:
        """Their points tighter than anything on our frontier."""
        return [r.theirs.label for r in self.readings if r.our_cost is None]


def efficient(marks: Sequence[Mark]) -> list[Mark]:
    """The frontier: by tracking, tightest first, each cheaper than all tighter ones."""
    frontier: list[Mark] = []
    for mark in sorted(marks, key=lambda m: (m.tracking, m.cost)):
        if mark.tracking <= 0:
            continue
        if not frontier or mark.cost < frontier[-1].cost:
            frontier.append(mark)
    return frontier


@exact
def cost_at(marks: Sequence[Mark], tracking: Decimal) -> Decimal | None:
    """What the frontier of ``marks`` pays to track at ``tracking`` or better."""
    frontier = efficient(marks)
    if not frontier or tracking < frontier[0].tracking:
        return None
    for low, high in itertools.pairwise(frontier):
        if low.tracking <= tracking <= high.tracking:
            return _log_interpolate(low, high, tracking)
    return frontier[-1].cost


def _log_interpolate(low: Mark, high: Mark, tracking: Decimal) -> Decimal:
    if tracking == low.tracking or high.tracking == low.tracking:
        return low.cost
    if tracking == high.tracking:
        return high.cost
    if low.cost <= 0 or high.cost <= 0:
        # A free point: interpolate linearly rather than take the log of zero.
        share = div(tracking - low.tracking, high.tracking - low.tracking)
        return low.cost + (high.cost - low.cost) * share
    share = div(tracking.ln() - low.tracking.ln(), high.tracking.ln() - low.tracking.ln())
    return (low.cost.ln() + (high.cost.ln() - low.cost.ln()) * share).exp()


@exact
def compare(ours: Sequence[Mark], theirs: Sequence[Mark]) -> Comparison:
    """Our cost at each of their frontier points' tracking, and the cut."""
    return Comparison(tuple(Reading(m, cost_at(ours, m.tracking)) for m in efficient(theirs)))


@exact
def compare_point(ours: Sequence[Mark], point: Mark) -> Reading:
    """Our cost at one point's tracking (the daily cron, say), whether or not it is efficient."""
    return Reading(point, cost_at(ours, point.tracking))


@exact
def median(values: Sequence[Decimal]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


@exact
def percentile(values: Sequence[Decimal], share: Decimal) -> Decimal | None:
    """The ``share`` quantile (0..1), linear between order statistics."""
    return _quantile(sorted(values), share) if values else None


def _quantile(ordered: Sequence[Decimal], share: Decimal) -> Decimal:
    position = share * (len(ordered) - 1)
    index = int(position)
    if index >= len(ordered) - 1:
        return ordered[-1]
    fraction = position - index
    return ordered[index] + (ordered[index + 1] - ordered[index]) * fraction


@dataclass(frozen=True)
class Interval:
    """Median and 5-95% range of one figure over resamples."""

    p5: Decimal
    median: Decimal
    p95: Decimal
    samples: int


@exact
def interval(values: Sequence[Decimal]) -> Interval | None:
    if not values:
        return None
    ordered = sorted(values)
    return Interval(
        _quantile(ordered, Decimal("0.05")),
        _quantile(ordered, Decimal("0.5")),
        _quantile(ordered, Decimal("0.95")),
        len(values),
    )
