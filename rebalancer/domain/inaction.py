"""Cost of inaction: what staying off target is expected to cost, in quote currency.

A weight deviation ``d`` in an asset (funded by cash) adds ``d * r`` to the portfolio's
return, where ``r`` is the asset's return. Over a horizon ``H`` (years) with annualised
volatility ``sigma`` that is tracking variance ``d^2 sigma^2 H``. A mean-variance investor
with risk aversion ``lambda`` values it at

    C(d) = lambda / 2 * equity * sigma^2 * H * d_eff^2

Drift velocity ``v`` (change of drift per check) changes urgency: the drift expected at the
next check is ``d + w v``, and ``d_eff^2`` averages the squares now and then. A drift that is
growing is more urgent than one that is already reverting. docs/cost-model.md derives the
trade rule: trade when C(d) - C(d_after) exceeds the predicted execution cost.
"""

from __future__ import annotations

from decimal import Decimal

from rebalancer.domain.numbers import div, exact
from rebalancer.domain.policy_settings import PolicySettings

TWO = Decimal(2)


@exact
def cost_of_inaction(
    drift: Decimal,
    velocity: Decimal,
    volatility: Decimal,
    equity: Decimal,
    policy: PolicySettings,
) -> Decimal:
    ahead = drift + policy.velocity_weight * velocity
    mean_square = div(drift * drift + ahead * ahead, TWO)
    return (
        div(policy.risk_aversion, TWO) * equity * volatility**2 * policy.horizon_years * mean_square
    )


@exact
def inaction_reduction(
    drift_before: Decimal,
    drift_after: Decimal,
    velocity: Decimal,
    volatility: Decimal,
    equity: Decimal,
    policy: PolicySettings,
) -> Decimal:
    """How much a trade from ``drift_before`` to ``drift_after`` lowers the cost of inaction.

    Velocity comes from prices moving and persists through the trade, so it is kept on
    both sides.
    """
    before = cost_of_inaction(drift_before, velocity, volatility, equity, policy)
    after = cost_of_inaction(drift_after, velocity, volatility, equity, policy)
    return before - after
