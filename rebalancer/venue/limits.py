"""A venue's request limits as the rate limiter applies them (plain data: venue profiles
state them without importing the limiter)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VenueLimits:
    """Request weight per ``weight_window`` seconds; orders per ``order_window`` seconds.

    ``burst`` is the weight that may go at once (the rest spread over the window); None: a
    tenth of ``weight``, which no fixed window of the venue's can overflow. A venue that
    counts with a decaying counter (Kraken) allows its counter's maximum at once.
    """

    weight: int = 6000
    weight_window: float = 60.0
    orders: int = 100
    order_window: float = 10.0
    burst: int | None = None
