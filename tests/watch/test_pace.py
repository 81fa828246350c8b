"""The watcher's pace comes from its venue's profile: prices and balance refreshes each
spend a fixed share of the venue's request budget, and explicit settings win."""

from __future__ import annotations

import pytest

from rebalancer.pipeline.messages import WatchVenueRequest
from rebalancer.venue.profiles import PROFILES, profile_for_venue
from rebalancer.watch.pace import PRICE_SHARE, REFRESH_SHARE, pace_for


def test_paper_watches_at_binance_pace() -> None:
    pace = pace_for(WatchVenueRequest(venue="paper"))
    # Binance: 6,000 weight a minute; bookTicker for all symbols costs 4, an account read 20.
    assert (pace.tick_seconds, pace.refresh_weight_per_minute, pace.balance_weight) == (
        1.0,
        1200.0,
        20,
    )


@pytest.mark.parametrize("venue", sorted(PROFILES))
def test_default_pace_stays_within_its_share_of_the_budget(venue: str) -> None:
    pace = pace_for(WatchVenueRequest(venue=venue))
    profile = profile_for_venue(venue)
    per_minute = profile.limits.weight * 60 / profile.limits.weight_window
    price_per_minute = profile.costs.quotes * 60 / pace.tick_seconds
    assert price_per_minute <= per_minute * PRICE_SHARE + 1e-9
    assert pace.refresh_weight_per_minute == pytest.approx(per_minute * REFRESH_SHARE)
    assert pace.tick_seconds >= 1.0


def test_explicit_settings_win() -> None:
    pace = pace_for(
        WatchVenueRequest(venue="kraken", tick_seconds=5.0, refresh_weight_per_minute=3.0)
    )
    assert (pace.tick_seconds, pace.refresh_weight_per_minute) == (5.0, 3.0)
