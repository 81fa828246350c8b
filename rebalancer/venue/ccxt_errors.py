"""ccxt's exceptions, classified: retry (maybe after a delay) or stop.

Order of the checks matters: ccxt's hierarchy puts OrderNotFound under InvalidOrder and
every network failure under OperationFailed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

import ccxt

from rebalancer.venue import errors

_BANNED_UNTIL = re.compile(r"banned until (\d{10,})")


def classify(
    error: Exception,
    *,
    retry_after: float | None = None,
    duplicate_markers: Sequence[str] = ("Duplicate order sent",),
    unavailable_markers: Sequence[str] = (),
    insufficient_markers: Sequence[str] = (),
) -> errors.VenueError:
    """The project's error for a ccxt exception; ``retry_after`` is the venue's hint, and
    the markers are the venue's own words where ccxt's classes miss them (its profile's):
    a client id taken, a service that could not serve, funds short."""
    text = str(error)
    if isinstance(error, ccxt.InsufficientFunds):
        return errors.InsufficientFunds(text)
    if isinstance(error, ccxt.OrderNotFound):
        return errors.OrderNotFound(text)
    if isinstance(error, ccxt.ExchangeError):
        if any(m in text for m in duplicate_markers):
            # The venue refused a second order under a client id in use: the first exists.
            return errors.DuplicateClientOrderId(text)
        if any(m in text for m in insufficient_markers):
            return errors.InsufficientFunds(text)
        if any(m in text for m in unavailable_markers):
            return errors.VenueUnavailable(text, retry_after=retry_after)
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


def _ban_hint(text: str) -> float | None:
    """Seconds left of a ban whose end Binance wrote into the message, if it did."""
    match = _BANNED_UNTIL.search(text)
    if match is None:
        return None
    return max(0.0, int(match.group(1)) / 1000 - time.time())
