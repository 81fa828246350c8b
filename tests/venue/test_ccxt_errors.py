"""ccxt exceptions classified as retryable or final."""

from __future__ import annotations

import time

import ccxt
import pytest

from rebalancer.venue import errors
from rebalancer.venue.ccxt_errors import classify


@pytest.mark.parametrize(
    ("raised", "expected", "retryable"),
    [
        (ccxt.InsufficientFunds("x"), errors.InsufficientFunds, False),
        (ccxt.OrderNotFound("x"), errors.OrderNotFound, False),
        (
            ccxt.InvalidOrder('{"code":-2010,"msg":"Filter failure: NOTIONAL"}'),
            errors.InvalidOrder,
            False,
        ),
        (ccxt.BadRequest("x"), errors.InvalidOrder, False),
        (
            ccxt.InvalidOrder('{"code":-2010,"msg":"Duplicate order sent."}'),
            errors.DuplicateClientOrderId,
            False,
        ),
        (ccxt.AuthenticationError("x"), errors.AuthenticationFailed, False),
        (ccxt.PermissionDenied("x"), errors.AuthenticationFailed, False),
        (ccxt.RateLimitExceeded("x"), errors.RateLimited, True),
        (ccxt.DDoSProtection("429"), errors.RateLimited, True),
        (ccxt.OnMaintenance("x"), errors.VenueUnavailable, True),
        (ccxt.ExchangeNotAvailable("x"), errors.VenueUnavailable, True),
        (ccxt.RequestTimeout("x"), errors.VenueNetworkError, True),
        (ccxt.InvalidNonce("x"), errors.VenueNetworkError, True),
        (ccxt.OperationFailed("x"), errors.VenueUnavailable, True),
        (ccxt.ExchangeError("x"), errors.FinalVenueError, False),
    ],
)
def test_classification(
    raised: Exception, expected: type[errors.VenueError], retryable: bool
) -> None:
    classified = classify(raised)
    assert type(classified) is expected
    assert classified.retryable is retryable


def test_retry_after_comes_from_the_venue_or_the_ban_message() -> None:
    hinted = classify(ccxt.DDoSProtection("429"), retry_after=7.0)
    assert isinstance(hinted, errors.RateLimited)
    assert hinted.retry_after == 7.0
    until = int((time.time() + 120) * 1000)
    banned = classify(ccxt.DDoSProtection(f"418 IP banned until {until}. Please"))
    assert isinstance(banned, errors.RateLimited)
    assert banned.retry_after is not None
    assert 100 < banned.retry_after <= 120
