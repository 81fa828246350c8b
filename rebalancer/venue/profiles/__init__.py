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


PAPER = "paper"
# The paper venue speaks Binance's spot dialect.
PAPER_EXCHANGE = "binance"


def check_venue(field: str, venue: str) -> str:
    """``venue`` if rebalancer can trade there: the paper venue or a profiled exchange."""
    profile_for_venue(venue, field=field)
    return venue


def profile_for(exchange_id: str, *, field: str = "venue") -> VenueProfile:
    """The profile of a ccxt exchange id, or InvalidInput naming the supported ones."""
    profile = PROFILES.get(exchange_id)
    if profile is None:
        supported = ", ".join(sorted(PROFILES))
        raise InvalidInput(
            field,
            f"{exchange_id!r} is not a supported venue: use 'paper' or one of {supported}",
        )
    return profile


def profile_for_venue(venue: str, *, field: str = "venue") -> VenueProfile:
    """The profile of an account's venue ("paper" is Binance's dialect)."""
    return profile_for(PAPER_EXCHANGE if venue == PAPER else venue, field=field)
