"""How far each asset may drift before it trades: one band for all, or one per asset.

``fixed``: the policy's ``band`` for every asset.

``asymptotic``: each asset's own half-width from the small-cost asymptotics of the optimal
no-trade region (Janecek and Shreve 2004; Rogers 2004): for proportional cost ``c``, weight
``w`` and volatility ``sigma``,

    band = (3 c w^2 (1 - w)^2 sigma^2 / (2 lambda)) ^ (1/3)

with ``lambda`` the policy's risk aversion. A volatile asset drifts faster, so the band that
balances trading cost against tracking is wider, but only as the cube root: doubling
volatility widens it by 59%, not 100%. A costly market widens it too. Minimising turnover at a
given RMS weight drift gives the same exponent (the band grows as the weight's volatility to
the 2/3). ``c`` is the worse fee of the market plus half its quoted spread; ``w`` the target
weight; ``sigma`` the account's volatility estimate (the policy default until one exists).

``covariance``: the same asymptotics with the weight's real volatility in place of
``w (1 - w) sigma``. That term is how fast the weight moves when the asset is the only one
against cash. Beside other assets, asset ``i``'s weight moves with its return less the
portfolio's: ``dw_i = w_i (r_i - sum_j w_j r_j)``, whose variance is

    w_i^2 * sum_jk a_j a_k sigma_j sigma_k rho_jk,   a_j = [j = i] - w_j

over the target assets (cash has no volatility). Correlated assets move their weights less
than the one-asset term says, the more so the more of the portfolio moves with them, so
their bands narrow, and the less correlated an asset is with the rest, the more its band
keeps. With one asset it is exactly ``asymptotic``. ``rho`` is the account's correlation
estimate (the policy default until one exists).
"""

from __future__ import annotations

from decimal import Decimal

from rebalancer.domain.costs import worst_fee_rate
from rebalancer.domain.numbers import ONE, ZERO, div, exact
from rebalancer.domain.snapshot import Snapshot

BAND_LIMITS = (Decimal("0.0005"), Decimal("0.5"))
THREE_HALVES = Decimal("1.5")


@exact
def band_of(snapshot: Snapshot, asset: str) -> Decimal:
    """The no-trade half-width around ``asset``'s target weight."""
    policy = snapshot.policy
    if policy.band_rule == "fixed" or asset == snapshot.quote:
        return policy.band
    weight = snapshot.target(asset)
    if weight <= 0 or weight >= ONE:
        return policy.band
    quote = snapshot.prices[snapshot.symbol(asset)]
    half_spread = ZERO
    if quote.bid is not None and quote.ask is not None and quote.mid > 0:
        half_spread = div(quote.ask - quote.bid, 2 * quote.mid)
    cost = worst_fee_rate(snapshot.rules(asset)) + max(half_spread, ZERO)
    exposure = weight * (ONE - weight) * snapshot.volatility_of(asset)
    variance = exposure * exposure
    if policy.band_rule == "covariance":
        relative = relative_variance(snapshot, asset)
        # Correlations that are no one matrix's (a new pair's prior beside estimated ones, or
        # a file's) can leave nothing or less: keep the one-asset term rather than a band of
        # nothing that would trade on every check.
        if relative > 0:
            variance = weight * weight * relative
    core = div(THREE_HALVES * cost * variance, policy.risk_aversion)
    if core <= 0:
        return BAND_LIMITS[0]
    band = (core.ln() / 3).exp()
    low, high = BAND_LIMITS
    return min(max(band, low), high)


@exact
def relative_variance(snapshot: Snapshot, asset: str) -> Decimal:
    """Annualised variance of ``asset``'s return less the target portfolio's:
    ``sum_jk a_j a_k sigma_j sigma_k rho_jk`` with ``a_j = [j = asset] - w_j``."""
    assets = [a for a in snapshot.targets if a != snapshot.quote and snapshot.targets[a] > 0]
    if asset not in assets:
        assets.append(asset)
    loadings = {a: (ONE if a == asset else ZERO) - snapshot.target(a) for a in assets}
    sigma = {a: snapshot.volatility_of(a) for a in assets}
    variance = ZERO
    for first in assets:
        for second in assets:
            variance += (
                loadings[first]
                * loadings[second]
                * sigma[first]
                * sigma[second]
                * snapshot.correlation_of(first, second)
            )
    return variance
