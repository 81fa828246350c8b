"""A venue's request limits as the rate limiter applies them (plain data: venue profiles
state them without importing the limiter)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VenueLimits:
    """Request weight per ``weight_window`` seconds; orders per ``order_window`` seconds."""

    weight: int = 6000
    weight_window: float = 60.0
    orders: int = 100
    order_window: float = 10.0
