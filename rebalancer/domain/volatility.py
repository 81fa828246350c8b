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
    moved = step_return(previous_price, price)
    annualised_variance = div(moved * moved * SECONDS_PER_YEAR, elapsed_seconds)
    keep = decay(elapsed_seconds, half_life_seconds)
    variance = keep * previous * previous + (ONE - keep) * annualised_variance
    return sqrt(variance)


@exact
def step_return(previous_price: Decimal, price: Decimal) -> Decimal:
    """The simple return of a move from ``previous_price`` to ``price``."""
    return div(price, previous_price) - ONE


@exact
def update_covariance(
    previous: Decimal,
    first_return: Decimal,
    second_return: Decimal,
    elapsed_seconds: Decimal,
    keep: Decimal,
) -> Decimal:
    """New annualised covariance of two assets' returns after they moved by ``first_return``
    and ``second_return`` over ``elapsed_seconds`` (an asset with itself: its variance).
    ``keep`` is ``decay(elapsed_seconds, half_life)``: the same for every pair of a sample,
    so the caller works it out once, as it does each asset's return."""
    if elapsed_seconds <= 0:
        return previous
    annualised = div(first_return * second_return * SECONDS_PER_YEAR, elapsed_seconds)
    return keep * previous + (ONE - keep) * annualised
