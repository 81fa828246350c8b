"""The venues rebalancer supports, one profile each (see ``profile.VenueProfile``)."""

from __future__ import annotations

from rebalancer.domain.errors import InvalidInput
from rebalancer.venue.profiles import binance, bybit, coinbase, kraken, okx
from rebalancer.venue.profiles.profile import VenueProfile

PROFILES: dict[str, VenueProfile] = {
    profile.exchange_id: profile
    for profile in (
        binance.PROFILE,
        coinbase.PROFILE,
        kraken.PROFILE,
        okx.PROFILE,
        bybit.PROFILE,
    )
}


def profile_for(exchange_id: str) -> VenueProfile:
    """The profile of a ccxt exchange id, or InvalidInput naming the supported ones."""
    profile = PROFILES.get(exchange_id)
    if profile is None:
        supported = ", ".join(sorted(PROFILES))
        raise InvalidInput(
            "venue",
            f"{exchange_id!r} has no venue profile: supported are {supported} (and 'paper')",
        )
    return profile
