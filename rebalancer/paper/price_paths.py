"""Mid-price paths: simulated with regime-switching volatility, or replayed from daily bars.

A path answers the mid and a volatility estimate at any UTC time, deterministically for its
seed, whatever order it is asked in. The latent process is a model, not money, so it runs in
binary floating point; every price that leaves the market model is a Decimal on the tick grid.

Volatilities are annualised (365-day years: crypto trades every day).
"""

from __future__ import annotations

import math
import random
from array import array
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple, Protocol

from rebalancer.paper.daily_bars import DailyBar, fill_gaps
from rebalancer.paper.seeding import derive_seed

SECONDS_PER_YEAR = 365 * 86_400
SECONDS_PER_DAY = 86_400


class DaySource(Protocol):
    """Day paths drawn elsewhere (jointly for a basket): log prices, or None to draw here."""

    def path(self, name: str, day: date) -> array[float] | None: ...


class PathSample(NamedTuple):
    mid: float
    volatility: float


class PricePath(Protocol):
    @property
    def start(self) -> datetime: ...

    def sample(self, moment: datetime) -> PathSample: ...


def to_decimal(value: float, digits: int = 12) -> Decimal:
    """A float of the latent model as a Decimal with ``digits`` significant digits."""
    return Decimal(f"{value:.{digits}g}")


def mid_at(path: PricePath, moment: datetime) -> Decimal:
    return to_decimal(path.sample(moment).mid)


def volatility_at(path: PricePath, moment: datetime) -> Decimal:
    return to_decimal(path.sample(moment).volatility, 6)


def _require_utc(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the paper venue runs on UTC-aware times")


@dataclass(frozen=True)
class Regime:
    """One volatility regime. The path leaves it after ``mean_duration`` on average."""

    name: str
    volatility: float
    drift: float = 0.0
    mean_duration: timedelta = timedelta(hours=6)
    # Relative chance of being the next regime when the path switches.
    weight: float = 1.0


class SimulatedPath:
    """Geometric Brownian motion whose volatility and drift switch between regimes.

    The path is generated forward from ``start`` in steps of ``step`` and kept, so it can
    be asked about any time again. Before ``start`` it answers the start price. A year at
    one-minute steps is about 8 MB; pick a coarser ``step`` for long backtests.
    """

    def __init__(
        self,
        start_price: Decimal,
        start: datetime,
        *,
        regimes: Sequence[Regime],
        seed: int,
        step: timedelta = timedelta(seconds=1),
        volatility_half_life: timedelta = timedelta(hours=1),
    ) -> None:
        _require_utc(start)
        if start_price <= 0:
            raise ValueError("start_price must be positive")
        if not regimes:
            raise ValueError("regimes must not be empty")
        if step <= timedelta(0):
            raise ValueError("step must be positive")
        self._start = start
        self._regimes = tuple(regimes)
        self._rng = random.Random(seed)
        self._step = step.total_seconds()
        self._dt = self._step / SECONDS_PER_YEAR
        self._decay = math.exp(-math.log(2) * self._step / volatility_half_life.total_seconds())
        self._log = array("d", [math.log(float(start_price))])
        self._var = array("d", [self._regimes[0].volatility ** 2])
        self._regime_of_step = array("b", [0])
        self._regime = 0

    @property
    def start(self) -> datetime:
        return self._start

    @property
    def step(self) -> timedelta:
        return timedelta(seconds=self._step)

    def _extend_to(self, index: int) -> None:
        rng = self._rng
        log, var, regimes = self._log, self._var, self._regimes
        while len(log) <= index:
            regime = regimes[self._regime]
            if rng.random() < self._step / regime.mean_duration.total_seconds():
                self._regime = self._next_regime()
                regime = regimes[self._regime]
            sigma = regime.volatility
            ret = (regime.drift - 0.5 * sigma * sigma) * self._dt + sigma * math.sqrt(
                self._dt
            ) * rng.gauss(0.0, 1.0)
            log.append(log[-1] + ret)
            var.append(self._decay * var[-1] + (1 - self._decay) * ret * ret / self._dt)
            self._regime_of_step.append(self._regime)

    def _next_regime(self) -> int:
        others = [i for i in range(len(self._regimes)) if i != self._regime]
        if not others:
            return self._regime
        weights = [self._regimes[i].weight for i in others]
        return self._rng.choices(others, weights=weights)[0]

    def _position(self, moment: datetime) -> tuple[int, float]:
        _require_utc(moment)
        seconds = (moment - self._start).total_seconds()
        if seconds <= 0:
            return 0, 0.0
        index, rest = divmod(seconds, self._step)
        return int(index), rest / self._step

    def sample(self, moment: datetime) -> PathSample:
        index, fraction = self._position(moment)
        self._extend_to(index + 1)
        log = self._log[index] + (self._log[index + 1] - self._log[index]) * fraction
        return PathSample(math.exp(log), math.sqrt(self._var[index]))

    def regime_at(self, moment: datetime) -> str:
        index, _ = self._position(moment)
        self._extend_to(index)
        return self._regimes[self._regime_of_step[index]].name


class ReplayPath:
    """Real daily bars with simulated intraday paths that honour open, high, low and close.

    Each day's path starts at the open, touches the high and the low once each at random
    times (low first more often on an up day), and ends at the close; between those points
    it is a Brownian bridge clipped to the day's range. Missing days are bridged from the
    previous close to the next open. Before the first day the path holds the first open,
    after the last it holds the last close.

    The volatility estimate is Parkinson's (from high/low) over the ``window_days`` days
    before the current one, so it never looks at the day being replayed.

    With ``days`` (``joint_replay.CorrelatedDays``) the day paths come from a joint draw for
    the whole basket, correlated across assets; this path only replays them.
    """

    def __init__(
        self,
        bars: Sequence[DailyBar],
        *,
        seed: int,
        name: str = "",
        step: timedelta = timedelta(minutes=1),
        window_days: int = 7,
        cache_days: int = 64,
        days: DaySource | None = None,
    ) -> None:
        if not bars:
            raise ValueError("bars must not be empty")
        step_seconds = step.total_seconds()
        if step_seconds <= 0 or SECONDS_PER_DAY % step_seconds:
            raise ValueError("step must divide one day evenly")
        self._bars = fill_gaps(sorted(bars, key=lambda bar: bar.day))
        self._first = self._bars[0].day
        self._steps = int(SECONDS_PER_DAY // step_seconds)
        self._step = step_seconds
        self._seed = seed
        self._name = name
        self._cache: OrderedDict[int, array[float]] = OrderedDict()
        self._cache_days = cache_days
        self._volatility = self._parkinson(window_days)
        self._days = days
        self._start = datetime.combine(self._first, time(0), tzinfo=UTC)
        self._current_day = -1
        self._current_points: array[float] = array("d")

    @property
    def start(self) -> datetime:
        return self._start

    @property
    def end(self) -> datetime:
        return datetime.combine(self._bars[-1].day + timedelta(days=1), time(0), tzinfo=UTC)

    @property
    def bars(self) -> list[DailyBar]:
        return list(self._bars)

    def bar_on(self, day: date) -> DailyBar | None:
        index = (day - self._first).days
        return self._bars[index] if 0 <= index < len(self._bars) else None

    def _parkinson(self, window: int) -> list[float]:
        squared = [math.log(float(bar.high) / float(bar.low)) ** 2 for bar in self._bars]
        factor = 1 / (4 * math.log(2))
        result: list[float] = []
        for index in range(len(self._bars)):
            past = squared[max(0, index - window) : index] or squared[index : index + 1]
            daily_variance = factor * sum(past) / len(past)
            result.append(math.sqrt(daily_variance * 365))
        return result

    def sample(self, moment: datetime) -> PathSample:
        _require_utc(moment)
        seconds = (moment - self._start).total_seconds()
        if seconds < 0:
            return PathSample(float(self._bars[0].open), self._volatility[0])
        day_index, within = divmod(seconds, SECONDS_PER_DAY)
        index = int(day_index)
        if index >= len(self._bars):
            return PathSample(float(self._bars[-1].close), self._volatility[-1])
        # Consecutive samples mostly fall on one day: keep its points at hand.
        if index == self._current_day:
            points = self._current_points
        else:
            points = self._current_points = self._day_path(index)
            self._current_day = index
        position, fraction = divmod(within / self._step, 1.0)
        at = int(position)
        log = points[at] + (points[at + 1] - points[at]) * fraction
        return PathSample(math.exp(log), self._volatility[index])

    def _day_path(self, index: int) -> array[float]:
        cached = self._cache.get(index)
        if cached is not None:
            self._cache.move_to_end(index)
            return cached
        joint = self._days.path(self._name, self._bars[index].day) if self._days else None
        points = (
            joint
            if joint is not None
            else intraday_path(
                self._bars[index],
                self._steps,
                random.Random(derive_seed(self._seed, self._name, index)),
            )
        )
        self._cache[index] = points
        if len(self._cache) > self._cache_days:
            self._cache.popitem(last=False)
        return points


def intraday_path(bar: DailyBar, steps: int, rng: random.Random) -> array[float]:
    """``steps + 1`` log prices from the open to the close that touch high and low."""
    o, h, low, c = (math.log(float(p)) for p in (bar.open, bar.high, bar.low, bar.close))
    if h - low <= 0 or steps < 3:
        return array("d", [o + (c - o) * i / steps for i in range(steps + 1)])
    first, second = sorted(rng.sample(range(1, steps), 2))
    low_first = rng.random() < (0.65 if c >= o else 0.35)
    first_extreme, second_extreme = (low, h) if low_first else (h, low)
    sigma = (h - low) / (2 * math.sqrt(steps))
    points = _bridge(rng, o, first_extreme, first, sigma)
    points += _bridge(rng, first_extreme, second_extreme, second - first, sigma)[1:]
    points += _bridge(rng, second_extreme, c, steps - second, sigma)[1:]
    return array("d", (min(h, max(low, p)) for p in points))


def _bridge(rng: random.Random, start: float, end: float, steps: int, sigma: float) -> list[float]:
    walk = [0.0]
    for _ in range(steps):
        walk.append(walk[-1] + rng.gauss(0.0, sigma))
    last = walk[-1]
    return [
        start + (end - start) * i / steps + walk[i] - last * i / steps for i in range(steps + 1)
    ]
