"""Fault injection for the paper venue: latency, 5xx, maintenance and ambiguous order faults.

An ambiguous fault is the dangerous kind: the venue accepts the order, then the client sees
a 5xx (``error``) or no response at all (``drop``). A client that simply retries places the
order twice; a correct one looks the client order id up first.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

AmbiguousMode = Literal["error", "drop"]
AMBIGUOUS_MODES: tuple[AmbiguousMode, ...] = ("error", "drop")


@dataclass(frozen=True)
class FaultSettings:
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    # Chance that an accepted order's response is lost (see ``ambiguous_mode``).
    ambiguous_probability: float = 0.0
    ambiguous_mode: AmbiguousMode = "error"
    # Chance that a signed request fails with a 5xx before the venue does anything.
    error_probability: float = 0.0
    # Scheduled maintenance: the last ``duration`` seconds of every ``every`` seconds.
    maintenance_every_seconds: float = 0.0
    maintenance_duration_seconds: float = 0.0

    def __post_init__(self) -> None:
        for name in ("ambiguous_probability", "error_probability"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        for name in (
            "latency_ms",
            "latency_jitter_ms",
            "maintenance_every_seconds",
            "maintenance_duration_seconds",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.ambiguous_mode not in AMBIGUOUS_MODES:
            raise ValueError(f"ambiguous_mode must be one of {AMBIGUOUS_MODES}")
        if self.maintenance_duration_seconds > self.maintenance_every_seconds > 0:
            raise ValueError("maintenance_duration_seconds must not exceed the period")


class Faults:
    """The live fault state of one venue; changed at runtime by the admin endpoints."""

    def __init__(self, settings: FaultSettings, *, seed: int, origin: datetime) -> None:
        self.settings = settings
        self._rng = random.Random(seed)
        self._origin = origin
        self._maintenance_until: datetime | None = None
        self._maintenance_forced = False
        self._ambiguous_next = 0
        self._ambiguous_next_mode: AmbiguousMode = "error"
        # What was actually injected, by kind: the chaos benchmark reports these.
        self.injected: Counter[str] = Counter()

    def update(self, **changes: Any) -> None:
        self.settings = replace(self.settings, **changes)

    def latency_seconds(self) -> float:
        s = self.settings
        if s.latency_ms <= 0 and s.latency_jitter_ms <= 0:
            return 0.0
        self.injected["delayed_requests"] += 1
        return (s.latency_ms + self._rng.random() * s.latency_jitter_ms) / 1000

    def set_maintenance(self, on: bool, now: datetime, seconds: float | None = None) -> None:
        """On for ``seconds`` (or until switched off); off also ends a timed window."""
        self._maintenance_forced = on and seconds is None
        self._maintenance_until = now + timedelta(seconds=seconds) if on and seconds else None

    def in_maintenance(self, now: datetime) -> bool:
        if self._maintenance_forced:
            return True
        if self._maintenance_until is not None:
            if now < self._maintenance_until:
                return True
            self._maintenance_until = None
        s = self.settings
        if s.maintenance_every_seconds > 0 and s.maintenance_duration_seconds > 0:
            phase = (now - self._origin).total_seconds() % s.maintenance_every_seconds
            return phase >= s.maintenance_every_seconds - s.maintenance_duration_seconds
        return False

    def arm_ambiguous(self, count: int, mode: AmbiguousMode = "error") -> None:
        """The next ``count`` accepted orders get an ambiguous response."""
        if count < 0:
            raise ValueError("count must not be negative")
        if mode not in AMBIGUOUS_MODES:
            raise ValueError(f"mode must be one of {AMBIGUOUS_MODES}")
        self._ambiguous_next = count
        self._ambiguous_next_mode = mode

    def take_ambiguous(self) -> AmbiguousMode | None:
        mode: AmbiguousMode | None = None
        if self._ambiguous_next > 0:
            self._ambiguous_next -= 1
            mode = self._ambiguous_next_mode
        else:
            p = self.settings.ambiguous_probability
            if p > 0 and self._rng.random() < p:
                mode = self.settings.ambiguous_mode
        if mode is not None:
            self.injected[f"ambiguous_{mode}"] += 1
        return mode

    def take_error(self) -> bool:
        p = self.settings.error_probability
        failed = p > 0 and self._rng.random() < p
        if failed:
            self.injected["errors_5xx"] += 1
        return failed

    def count_maintenance_refusal(self) -> None:
        self.injected["maintenance_refusals"] += 1

    def describe(self, now: datetime) -> dict[str, Any]:
        return {
            **asdict(self.settings),
            "maintenance": self.in_maintenance(now),
            "maintenance_until": (
                self._maintenance_until.isoformat() if self._maintenance_until else None
            ),
            "ambiguous_next_orders": self._ambiguous_next,
            "ambiguous_next_mode": self._ambiguous_next_mode,
            "injected": dict(self.injected),
        }
