"""Volatility and covariance estimates from the prices the workflow sees at each check.

An exponentially weighted variance of simple returns, annualised by the time between
observations, so irregular checks (forced cycles, restarts) weigh correctly. The half-life
is in time, not in samples, for the same reason. Covariances of two assets' returns are
weighted the same way from the same samples, so an estimate's correlation stays within
[-1, 1] once the priors have faded.
"""

from __future__ import annotations

from decimal import Decimal

from rebalancer.domain.numbers import ONE, div, exact, sqrt

SECONDS_PER_YEAR = Decimal(365 * 24 * 3600)
LN2 = Decimal("0.6931471805599453094172321214581766")


@exact
def decay(elapsed_seconds: Decimal, half_life_seconds: Decimal) -> Decimal:
    """Weight kept by the old estimate after ``elapsed_seconds``: 2^(-elapsed/half_life)."""
    exponent = -div(elapsed_seconds * LN2, half_life_seconds)
    return exponent.exp()


@exact
def update_volatility(
    previous: Decimal,
    previous_price: Decimal,
    price: Decimal,
    elapsed_seconds: Decimal,
    half_life_seconds: Decimal,
) -> Decimal:
    """New annualised volatility after a price move over ``elapsed_seconds``."""
    if elapsed_seconds <= 0 or previous_price <= 0:
        return previous
    step_return = div(price, previous_price) - ONE
    annualised_variance = div(step_return * step_return * SECONDS_PER_YEAR, elapsed_seconds)
    keep = decay(elapsed_seconds, half_life_seconds)
    variance = keep * previous * previous + (ONE - keep) * annualised_variance
    return sqrt(variance)


@exact
def update_covariance(
    previous: Decimal,
    first: tuple[Decimal, Decimal],
    second: tuple[Decimal, Decimal],
    elapsed_seconds: Decimal,
    half_life_seconds: Decimal,
) -> Decimal:
    """New annualised covariance of two assets' returns after their prices moved from
    ``first[0]`` to ``first[1]`` and ``second[0]`` to ``second[1]`` over ``elapsed_seconds``.
    (An asset with itself: its variance.)"""
    if elapsed_seconds <= 0 or first[0] <= 0 or second[0] <= 0:
        return previous
    product = (div(first[1], first[0]) - ONE) * (div(second[1], second[0]) - ONE)
    annualised = div(product * SECONDS_PER_YEAR, elapsed_seconds)
    keep = decay(elapsed_seconds, half_life_seconds)
    return keep * previous + (ONE - keep) * annualised
