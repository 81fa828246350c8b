"""Replayed baskets move together within the day as their daily returns say they do."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np

from rebalancer.paper.instruments import DEFAULT_INSTRUMENTS
from rebalancer.paper.price_paths import PricePath, ReplayPath
from rebalancer.paper.scenarios import scenario_named
from rebalancer.paper.venue import build_paths


def _replay_paths() -> list[PricePath]:
    return build_paths(
        scenario_named("replay"),
        DEFAULT_INSTRUMENTS,
        seed=1,
        start=None,
        step=timedelta(minutes=5),
    )


def _hourly_log_returns(start: datetime, hours: int, independent: bool) -> np.ndarray:
    paths = _replay_paths()
    if independent:
        for path in paths:
            path._days = None  # type: ignore[attr-defined]
    mids = np.array(
        [[p.sample(start + timedelta(hours=h)).mid for p in paths] for h in range(hours + 1)]
    )
    return np.diff(np.log(mids), axis=0)


def test_hourly_returns_correlate_like_daily_ones() -> None:
    start = datetime(2022, 3, 1, tzinfo=UTC)
    joint = np.corrcoef(_hourly_log_returns(start, 24 * 60, independent=False).T)
    alone = np.corrcoef(_hourly_log_returns(start, 24 * 60, independent=True).T)
    # BTC and ETH: about 0.9 day to day on the bundled data.
    assert joint[0, 1] > 0.6
    assert abs(alone[0, 1]) < 0.2


def test_each_day_opens_and_closes_on_its_bar() -> None:
    paths = _replay_paths()
    day = datetime(2022, 5, 9, tzinfo=UTC)
    for path in paths:
        assert isinstance(path, ReplayPath)
        bar = path.bar_on(day.date())
        assert bar is not None
        assert math.isclose(path.sample(day).mid, float(bar.open), rel_tol=1e-9)
        just_before_midnight = day + timedelta(days=1) - timedelta(microseconds=1)
        assert math.isclose(path.sample(just_before_midnight).mid, float(bar.close), rel_tol=1e-6)
