"""Cost at equal tracking: the frontier, reading it between points, cuts and intervals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebalancer.backtest.equal_tracking import (
    Mark,
    compare,
    compare_point,
    cost_at,
    efficient,
    interval,
    median,
    percentile,
)


def m(label: str, tracking: str, cost: str) -> Mark:
    return Mark(label, Decimal(tracking), Decimal(cost))


OURS = [m("tight", "0.01", "100"), m("mid", "0.02", "50"), m("loose", "0.04", "25")]


def test_the_frontier_drops_points_that_a_tighter_point_beats_on_cost() -> None:
    marks = [*OURS, m("worse", "0.03", "60"), m("zero-tracking", "0", "1")]
    assert [x.label for x in efficient(marks)] == ["tight", "mid", "loose"]


def test_cost_is_read_log_linearly_between_bracketing_points() -> None:
    # Cost halves as tracking doubles: a power law, which log-log interpolation reads exactly.
    assert cost_at(OURS, Decimal("0.02")) == Decimal("50")
    at = cost_at(OURS, Decimal("0.01") * Decimal(2).sqrt())
    assert at is not None
    assert abs(at - Decimal("100") / Decimal(2).sqrt()) < Decimal("1e-20")


def test_looser_than_the_loosest_point_costs_that_point_and_tighter_is_unknown() -> None:
    assert cost_at(OURS, Decimal("0.5")) == Decimal("25")
    assert cost_at(OURS, Decimal("0.005")) is None
    assert cost_at([], Decimal("0.02")) is None


def test_cuts_along_their_frontier_and_the_points_we_cannot_reach() -> None:
    theirs = [m("a", "0.005", "300"), m("b", "0.02", "100"), m("c", "0.04", "25")]
    comparison = compare(OURS, theirs)
    assert [r.cut for r in comparison.readings] == [None, Decimal("0.5"), Decimal("0")]
    assert comparison.unreached == ["a"]
    assert comparison.median == Decimal("0.25")
    assert comparison.worst == Decimal("0")


def test_we_can_lose_and_the_cut_says_so() -> None:
    reading = compare_point(OURS, m("cron", "0.02", "40"))
    assert reading.our_cost == Decimal("50")
    assert reading.cut == Decimal("-0.25")


def test_interval_is_the_5_50_95_percentiles() -> None:
    values = [Decimal(i) for i in range(101)]
    found = interval(values)
    assert found is not None
    assert (found.p5, found.median, found.p95, found.samples) == (
        Decimal(5),
        Decimal(50),
        Decimal(95),
        101,
    )
    assert interval([]) is None
    assert median([Decimal(1), Decimal(3)]) == Decimal(2)
    assert percentile([Decimal(7)], Decimal("0.05")) == Decimal(7)


costs = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e6"), places=2)
trackings = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("0.5"), places=4)


@given(st.lists(st.tuples(trackings, costs), min_size=1, max_size=8), trackings)
def test_frontier_cost_never_rises_as_tracking_loosens(
    points: list[tuple[Decimal, Decimal]], x: Decimal
) -> None:
    marks = [Mark(str(i), t, c) for i, (t, c) in enumerate(points)]
    frontier = efficient(marks)
    at = cost_at(marks, x)
    if x < frontier[0].tracking:
        assert at is None
        return
    assert at is not None
    # Never dearer than a point that already tracks at x, never cheaper than the frontier.
    allowed = [f.cost for f in frontier if f.tracking <= x]
    cheapest = min(f.cost for f in frontier)
    assert cheapest - Decimal("1e-20") <= at <= min(allowed) + Decimal("1e-20")
    looser = cost_at(marks, x * 2)
    assert looser is not None
    assert looser <= at + Decimal("1e-20")


@pytest.mark.parametrize("share", ["0", "0.5", "1"])
def test_percentile_ends_and_middle(share: str) -> None:
    values = [Decimal(3), Decimal(1), Decimal(2)]
    assert percentile(values, Decimal(share)) == {"0": 1, "0.5": 2, "1": 3}[share]
