"""Venue errors classified by what the caller should do: retry (maybe later) or stop."""

from __future__ import annotations

from rebalancer.domain.errors import RebalancerError


class VenueError(RebalancerError):
    """Anything the venue or the path to it refused."""

    retryable: bool = False


class RetryableVenueError(VenueError):
    """Try again; ``retry_after`` (seconds) is the venue's hint when it gave one."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class VenueNetworkError(RetryableVenueError):
    """Timeout or connection failure: the request may or may not have reached the venue."""


class VenueUnavailable(RetryableVenueError):
    """Maintenance or a 5xx: the venue said it cannot serve now."""


class RateLimited(RetryableVenueError):
    """429 or 418: too many requests; wait ``retry_after`` seconds."""


class MalformedResponse(RetryableVenueError):
    """The venue answered, but with fields missing or garbage: nothing is acted on, and the
    request may be retried (for an order, by looking its client id up first)."""


class FinalVenueError(VenueError):
    """Retrying the same request cannot succeed."""


class InsufficientFunds(FinalVenueError):
    pass


class InvalidOrder(FinalVenueError):
    """The order breaks a filter (tick, step, min notional) or the venue refused it."""


class AuthenticationFailed(FinalVenueError):
    pass


class OrderNotFound(FinalVenueError):
    pass


class DuplicateClientOrderId(FinalVenueError):
    """An order with this client id is already open: the placement happened before."""
