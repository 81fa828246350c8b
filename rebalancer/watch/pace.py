"""How fast a venue's watcher may go: derived from the venue's profile, so that watching
one venue never spends more than a fixed share of its request budget.

- Prices: one many-symbol quote read a tick, at most ``PRICE_SHARE`` of the budget, and
  not more often than once a second.
- Balances: round-robin account reads within ``REFRESH_SHARE`` of the budget.
The rest of the budget is left to the accounts' own cycles.
"""

from __future__ import annotations

from dataclasses import dataclass

from rebalancer.pipeline.messages import WatchVenueRequest
from rebalancer.venue.profiles import profile_for_venue

PRICE_SHARE = 0.1
REFRESH_SHARE = 0.2
FASTEST_TICK_SECONDS = 1.0


@dataclass(frozen=True)
class Pace:
    tick_seconds: float
    refresh_weight_per_minute: float
    balance_weight: int
    venue_weight_per_minute: float


def pace_for(settings: WatchVenueRequest) -> Pace:
    """The watcher's pace on ``settings.venue``; explicit settings win over the profile."""
    profile = profile_for_venue(settings.venue)
    per_minute = profile.limits.weight * 60.0 / profile.limits.weight_window
    tick = settings.tick_seconds
    if tick is None:
        tick = max(FASTEST_TICK_SECONDS, profile.costs.quotes * 60.0 / (per_minute * PRICE_SHARE))
    refresh = settings.refresh_weight_per_minute
    if refresh is None:
        refresh = per_minute * REFRESH_SHARE
    return Pace(
        tick_seconds=tick,
        refresh_weight_per_minute=refresh,
        balance_weight=profile.costs.balance,
        venue_weight_per_minute=per_minute,
    )
