"""A clock for the watcher that moves only when told, for replays in tests and benchmarks.

``VenueWatcher`` takes a monotonic ``clock`` and a wall-time ``now``; a replay sets
``seconds`` and both follow, so the wall time stamped on wakes stays in step with the
monotonic time that paces ticks and refreshes.
"""

from __future__ import annotations

from datetime import datetime, timedelta


class ManualClock:
    def __init__(self, start: datetime) -> None:
        self.start = start
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)
