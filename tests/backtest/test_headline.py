"""The headline on made-up frontiers: cuts against each family, the cron, intervals, goals."""

from __future__ import annotations

from decimal import Decimal

from rebalancer.backtest.families import FamilyPoint
from rebalancer.backtest.headline import headline
from tests.backtest.test_frontier import metrics


def point(policy: str, label: str, rms: str, cost: str) -> FamilyPoint:
    made = metrics(cost, rms)
    return FamilyPoint(policy, label, made)


def families(scale: str = "1") -> dict[str, list[FamilyPoint]]:
    k = Decimal(scale)
    return {
        "calendar": [
            point("calendar", "calendar 1d", "0.005", str(200 * k)),
            point("calendar", "calendar 7d", "0.012", str(80 * k)),
        ],
        "band_edge": [
            point("band_edge", "band_edge 1%", "0.006", str(100 * k)),
            point("band_edge", "band_edge 2%", "0.012", str(50 * k)),
        ],
        "cost_aware": [
            point("cost_aware", "a", "0.004", "150"),
            point("cost_aware", "b", "0.006", "60"),
            point("cost_aware", "c", "0.012", "40"),
        ],
    }


def test_cuts_against_each_family_and_the_daily_cron() -> None:
    found = headline(families(), [])
    assert found is not None
    band = found.against["band_edge"].comparison
    assert [r.cut for r in band.readings] == [Decimal("0.4"), Decimal("0.2")]
    assert band.median == Decimal("0.3")
    assert found.against["band_edge"].met is True
    cron = found.daily_cron.reading
    assert cron is not None
    assert cron.theirs.label == "calendar 1d"
    # Between (0.004, 150) and (0.006, 60), log-log: well under 200.
    assert cron.cut is not None
    assert Decimal("0.25") < cron.cut < Decimal("0.68")
    assert found.daily_cron.met is False


def test_resamples_give_intervals_and_a_bad_tail_fails_the_goal() -> None:
    # In half the resamples the baselines are cheaper than ours: the 5th percentile of the
    # cut is below zero, so the goal is missed although the main period clears it.
    resampled = [families("1.2")] * 10 + [families("0.5")] * 10
    found = headline(families(), resampled)
    assert found is not None
    band = found.against["band_edge"]
    assert band.median is not None
    assert band.median.samples == 20
    assert band.median.p5 < 0 < band.median.p95
    assert band.comparison.median is not None
    assert band.comparison.median >= band.required
    assert band.met is False


def test_no_cost_aware_family_no_headline() -> None:
    only = {k: v for k, v in families().items() if k != "cost_aware"}
    assert headline(only, []) is None
