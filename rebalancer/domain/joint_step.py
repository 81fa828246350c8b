"""Every leg sized together, cash included: a cost-penalised step toward the targets.

Per-asset bands watch each asset's weight and ignore the quote currency's, yet cash is a
weight too, and the one that drifts most: when the assets rise together (BTC and ETH move
together most days) each is a little overweight, none past its band, while cash is short
by the sum. The joint step chooses the weight changes ``t`` of all legs at once to minimise

    sum_i (d_i + t_i)^2 + (d_cash - sum_i t_i)^2 + sum_i 4 b_i |t_i|

(squared drift after the trade, every asset and cash, plus the trading cost in band
units), the one-period problem cvxportfolio solves with a transaction-cost term. With one
asset against cash the answer is exactly "trade back to the band's edge": nothing within
``b`` of target, and the excess beyond it. With several, a leg also trades when its move
would bring cash back. ``b_i`` is the asset's band (``bands.band_of``: the policy's, or each
asset's own), so a costly or volatile market is still left alone longer.

Solved exactly by coordinate descent: the objective is strictly convex, and each leg's best
move given the others is a soft threshold, ``t_i = shrink((e_i - d_i) / 2, b_i)`` with
``e_i`` the cash drift once the other legs have traded.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from rebalancer.domain.numbers import ZERO, exact

SWEEPS = 200
# Converged when no leg's move changes by more than this fraction of equity.
TOLERANCE = Decimal("1e-12")


@exact
def joint_step(
    drifts: Mapping[str, Decimal],
    cash_drift: Decimal,
    bands: Mapping[str, Decimal],
    fixed: Mapping[str, Decimal] | None = None,
) -> dict[str, Decimal]:
    """Weight change per asset in ``drifts`` (positive buys). ``fixed`` legs (instructions)
    trade what they trade regardless; their moves still count against cash."""
    moves = {asset: ZERO for asset in drifts}
    settled = sum((fixed or {}).values(), ZERO)
    for _ in range(SWEEPS):
        largest = ZERO
        for asset, drift in drifts.items():
            others = settled + sum((m for a, m in moves.items() if a != asset), ZERO)
            cash_after = cash_drift - others
            move = _shrink((cash_after - drift) / 2, bands[asset])
            largest = max(largest, abs(move - moves[asset]))
            moves[asset] = move
        if largest <= TOLERANCE:
            break
    return moves


def _shrink(value: Decimal, threshold: Decimal) -> Decimal:
    if value > threshold:
        return value - threshold
    if value < -threshold:
        return value + threshold
    return ZERO
