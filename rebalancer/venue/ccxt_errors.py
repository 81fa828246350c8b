"""ccxt's exceptions, classified: retry (maybe after a delay) or stop.

Order of the checks matters: ccxt's hierarchy puts OrderNotFound under InvalidOrder and
every network failure under OperationFailed. A venue's own words come before ccxt's class
where ccxt maps them too coarsely (``ErrorMarkers``, from the venue's profile).
"""

from __future__ import annotations

import re
import time

import ccxt

from rebalancer.venue import errors
from rebalancer.venue.error_markers import BINANCE, ErrorMarkers

# Binance: "IP banned until 1700000000000"; Kraken: "EService: Throttled: 1700000000".
_BANNED_UNTIL_MS = re.compile(r"banned until (\d{13})")
_THROTTLED_UNTIL_S = re.compile(r"Throttled: ?(\d{10})\b")


def classify(
    error: Exception,
    *,
    retry_after: float | None = None,
    markers: ErrorMarkers = BINANCE,
) -> errors.VenueError:
    """The project's error for a ccxt exception; ``retry_after`` is the venue's hint."""
    text = str(error)
    if any(word in text for word in markers.banned):
        return errors.RateLimited(text, retry_after=retry_after or markers.ban_seconds)
    if isinstance(error, ccxt.InsufficientFunds):
        return errors.InsufficientFunds(text)
    if isinstance(error, ccxt.OrderNotFound):
        return errors.OrderNotFound(text)
    if isinstance(error, ccxt.ExchangeError):
        marked = _by_marker(text, markers, retry_after)
        if marked is not None:
            return marked
    if isinstance(error, ccxt.InvalidOrder | ccxt.BadRequest):
        return errors.InvalidOrder(text)
    if isinstance(error, ccxt.AuthenticationError):
        return errors.AuthenticationFailed(text)
    if isinstance(error, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        return errors.RateLimited(text, retry_after=retry_after or _ban_hint(text))
    if isinstance(error, ccxt.ExchangeNotAvailable):
        # Includes OnMaintenance and a connection dropped mid-request.
        return errors.VenueUnavailable(text, retry_after=retry_after)
    if isinstance(error, ccxt.NetworkError):
        # Timeouts and InvalidNonce (the request's timestamp fell outside recvWindow).
        return errors.VenueNetworkError(text, retry_after=retry_after)
    if isinstance(error, ccxt.OperationFailed):
        # A 5xx with a body, a malformed response: the venue may or may not have acted.
        return errors.VenueUnavailable(text, retry_after=retry_after)
    return errors.FinalVenueError(text)


def _by_marker(
    text: str, markers: ErrorMarkers, retry_after: float | None
) -> errors.VenueError | None:
    def has(words: tuple[str, ...]) -> bool:
        return any(word in text for word in words)

    if has(markers.duplicate):
        # The venue refused a second order under a client id in use: the first exists.
        return errors.DuplicateClientOrderId(text)
    if has(markers.insufficient):
        return errors.InsufficientFunds(text)
    if has(markers.rate_limited):
        return errors.RateLimited(text, retry_after=retry_after or _ban_hint(text))
    if has(markers.authentication):
        return errors.AuthenticationFailed(text)
    if has(markers.unavailable):
        return errors.VenueUnavailable(text, retry_after=retry_after)
    return None


def _ban_hint(text: str) -> float | None:
    """Seconds left of a ban or throttle whose end the venue wrote into the message."""
    if (match := _BANNED_UNTIL_MS.search(text)) is not None:
        return max(0.0, int(match.group(1)) / 1000 - time.time())
    if (match := _THROTTLED_UNTIL_S.search(text)) is not None:
        return max(0.0, int(match.group(1)) - time.time())
    return None
