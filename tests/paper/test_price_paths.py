"""Price paths: simulated regimes, replayed daily bars, and the bundled data."""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.domain.errors import InvalidInput
from rebalancer.paper.daily_bars import (
    DailyBar,
    fill_gaps,
    load_asset_bars,
    load_daily_bars,
)
from rebalancer.paper.price_paths import ReplayPath, SimulatedPath, intraday_path, mid_at
from rebalancer.paper.scenarios import SCENARIOS

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def simulated(scenario: str, seed: int, step: timedelta = timedelta(minutes=1)) -> SimulatedPath:
    return SimulatedPath(
        Decimal("42000"), T0, regimes=SCENARIOS[scenario].regimes, seed=seed, step=step
    )


def test_a_simulated_path_is_a_function_of_its_seed() -> None:
    moments = [T0 + timedelta(minutes=7 * i) for i in range(200)]
    first = [simulated("calm", 3).sample(m) for m in moments]
    # Asked in another order, the same seed answers the same.
    again_path = simulated("calm", 3)
    again = [again_path.sample(m) for m in reversed(moments)][::-1]
    other = [simulated("calm", 4).sample(m) for m in moments]
    assert first == again
    assert first != other
    assert mid_at(simulated("calm", 3), T0) == Decimal("42000.0000000")


def test_regimes_switch_and_the_volatility_estimate_follows_them() -> None:
    calm = simulated("calm", 11)
    volatile = simulated("volatile", 11)
    week = [T0 + timedelta(hours=h) for h in range(24 * 7)]
    assert len({calm.regime_at(m) for m in week}) == 2
    calm_vol = sum(calm.sample(m).volatility for m in week) / len(week)
    volatile_vol = sum(volatile.sample(m).volatility for m in week) / len(week)
    assert 0.2 < calm_vol < 0.8
    assert volatile_vol > 1.5 * calm_vol


def test_a_crash_regime_loses_value() -> None:
    crash = simulated("crash", 2)
    moments = [T0 + timedelta(minutes=m) for m in range(0, 30 * 24 * 60, 5)]
    drops = [
        math.log(crash.sample(b).mid / crash.sample(a).mid)
        for a, b in itertools.pairwise(moments)
        if crash.regime_at(a) == "crash"
    ]
    assert drops
    assert sum(drops) / len(drops) < 0


def test_an_intraday_path_honours_open_high_low_close() -> None:
    bar = DailyBar(
        day=date(2022, 5, 9),
        open=Decimal("34060"),
        high=Decimal("34245"),
        low=Decimal("30033"),
        close=Decimal("30080"),
    )
    points = intraday_path(bar, 1440, random.Random(1))
    assert len(points) == 1441
    assert math.exp(points[0]) == pytest.approx(34060)
    assert math.exp(points[-1]) == pytest.approx(30080)
    assert math.exp(max(points)) == pytest.approx(34245)
    assert math.exp(min(points)) == pytest.approx(30033)


def test_replay_follows_the_real_days() -> None:
    bars = load_asset_bars("BTC")
    path = ReplayPath(bars, seed=9, name="BTC/USDT", step=timedelta(minutes=5))
    for bar in bars[100:110]:
        start = datetime.combine(bar.day, datetime.min.time(), tzinfo=UTC)
        mids = [path.sample(start + timedelta(minutes=5 * i)).mid for i in range(288)]
        assert mids[0] == pytest.approx(float(bar.open))
        assert max(mids) == pytest.approx(float(bar.high))
        assert min(mids) == pytest.approx(float(bar.low))
        end = path.sample(start + timedelta(days=1) - timedelta(microseconds=1)).mid
        assert end == pytest.approx(float(bar.close), rel=1e-6)
    assert path.sample(path.start - timedelta(days=3)).mid == float(bars[0].open)
    assert path.sample(path.end + timedelta(days=3)).mid == float(bars[-1].close)


def test_replay_bridges_the_missing_days() -> None:
    bars = load_asset_bars("ETH")
    assert date(2021, 10, 27) not in {bar.day for bar in bars}
    path = ReplayPath(bars, seed=1, name="ETH/USDT")
    before = next(b for b in bars if b.day == date(2021, 10, 26))
    after = next(b for b in bars if b.day == date(2021, 10, 28))
    low, high = sorted((float(before.close), float(after.open)))
    for minute in range(0, 1440, 30):
        mid = path.sample(datetime(2021, 10, 27, tzinfo=UTC) + timedelta(minutes=minute)).mid
        assert low - 1e-6 <= mid <= high + 1e-6
    assert path.sample(datetime(2021, 10, 27, 12, tzinfo=UTC)).volatility > 0


def test_the_bundled_data_loads_exactly() -> None:
    for asset in ("BTC", "ETH", "LINK"):
        bars = load_asset_bars(asset)
        assert len(bars) == 1091
        assert bars[0].day == date(2020, 12, 31)
        assert bars[-1].day == date(2023, 12, 29)
        filled = fill_gaps(bars)
        assert len(filled) - len(bars) == 3
        assert [b.day for b in filled if b.synthetic] == [
            date(2021, 10, 27),
            date(2022, 8, 24),
            date(2023, 6, 21),
        ]
    first = load_asset_bars("BTC")[0]
    assert (first.open, first.close) == (Decimal("28990.08"), Decimal("29412.84"))


def test_a_malformed_file_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "BTC-USD.daily.csv"
    path.write_text(
        "Date,low,high,open,close,volume\n2021-01-01,1,2,1.5,1.5,3\n2021-01-02,x,2,1,1,1\n"
    )
    with pytest.raises(InvalidInput) as refused:
        load_daily_bars(path)
    assert refused.value.field == "BTC-USD.daily.csv:3: low"
    path.write_text("Date,open\n")
    with pytest.raises(InvalidInput, match="missing columns"):
        load_daily_bars(path)
