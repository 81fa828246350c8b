"""A venue's own words for its errors, where ccxt's exception classes say too little (plain
data: venue profiles state them, ``ccxt_errors.classify`` reads them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorMarkers:
    """Substrings of a venue's error message (its raw body, as ccxt quotes it) that say
    more than the ccxt class it raises: a client id already in use, a service that could not
    serve (the outcome unknown: look up before retrying), funds short, too many requests, a
    key the venue refuses."""

    duplicate: tuple[str, ...] = ()
    unavailable: tuple[str, ...] = ()
    insufficient: tuple[str, ...] = ()
    rate_limited: tuple[str, ...] = ()
    authentication: tuple[str, ...] = ()
    # An IP ban the venue announces by status alone (no Retry-After): rate limited for
    # ``ban_seconds``, so that retries wait it out instead of prolonging it.
    banned: tuple[str, ...] = ()
    ban_seconds: float = 0.0


# Binance spot refuses a second order under an open order's client id with -2010 "Duplicate
# order sent."; everything else it says, ccxt's classes say.
BINANCE = ErrorMarkers(duplicate=("Duplicate order sent",))
