"""What an account remembers between checks: drift samples, volatility and covariance,
pending instructions.

The live workflow keeps a ``Tracking`` in its durable state and the backtest keeps one per
simulated account; both change it only through the functions here, so velocity, volatility
and the meaning of a target change are the same in both.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal
from itertools import combinations_with_replacement

from pydantic import AwareDatetime, Field

from rebalancer.domain.drift import DriftReport
from rebalancer.domain.market import Frozen
from rebalancer.domain.numbers import ONE, ZERO, Dec, PosDec, div, exact, sqrt, to_places
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.volatility import decay, step_return, update_covariance, update_volatility

# Correlations reach the bands to six places: finer is noise in an estimate, and the look
# and the decision must read the very same numbers.
CORRELATION_PLACES = 6


class Tracking(Frozen):
    # Drift samples per asset, oldest first, trimmed to the velocity window. Durable so a
    # restart or continue-as-new does not forget them (the seed's drift-history bug).
    history: dict[str, tuple[Dec, ...]] = Field(default_factory=dict)
    volatility: dict[str, PosDec] = Field(default_factory=dict)
    # Annualised covariance of two assets' returns, once per pair: ``covariance[a][b]`` with
    # ``a`` not after ``b`` in alphabetical order, each asset's variance included
    # (``covariance[a][a]``), at the slower correlation half-life. Correlations come from
    # these alone. (Pairs seeded at different times at the default correlation need not
    # form a positive semi-definite matrix; the bands guard against that.)
    covariance: dict[str, dict[str, Dec]] = Field(default_factory=dict)
    last_mids: dict[str, PosDec] = Field(default_factory=dict)
    last_mids_at: AwareDatetime | None = None
    # Assets the operator gave a new target that the account has not traded to yet: their
    # next cycles trade to the target, past the band and the cost gate (an instruction).
    instructed: frozenset[str] = frozenset()


def opened(targets: Collection[str], quote: str) -> Tracking:
    """A new account: its targets are the operator's first instruction, so its first cycles
    trade to them (not merely back inside the band)."""
    return Tracking(instructed=frozenset(a for a in targets if a != quote))


@exact
def observe(
    tracking: Tracking,
    report: DriftReport,
    observed_at: datetime,
    policy: PolicySettings,
    quote: str,
) -> Tracking:
    """A regular check's sample: the report's history (this drift appended), and volatility
    and covariance moved by the prices since the previous sample."""
    half_life = policy.volatility_half_life_hours * 3600
    mids = {r.asset: r.price for r in report.assets if r.asset != quote}
    volatility = dict(tracking.volatility)
    # An asset no longer reported (sold, no longer a target) leaves the estimate: frozen
    # beside partners that keep moving, its entries would read as any correlation at all,
    # and if it returns it starts again from the prior.
    covariance = {
        a: {b: value for b, value in row.items() if b in mids}
        for a, row in tracking.covariance.items()
        if a in mids
    }
    if tracking.last_mids_at is not None:
        elapsed = Decimal((observed_at - tracking.last_mids_at).total_seconds()).quantize(
            Decimal("0.001")
        )
        moves = {
            asset: (previous_price, mid)
            for asset, mid in mids.items()
            if (previous_price := tracking.last_mids.get(asset)) is not None
        }
        for asset, (previous_price, mid) in moves.items():
            previous = volatility.get(asset, policy.default_volatility)
            volatility[asset] = update_volatility(previous, previous_price, mid, elapsed, half_life)
        keep = decay(elapsed, policy.correlation_half_life_hours * 3600)
        returns = {asset: step_return(*move) for asset, move in moves.items()}
        variances = {
            asset: covariance.get(asset, {}).get(asset, policy.default_volatility**2)
            for asset in moves
        }
        for first, second in combinations_with_replacement(sorted(moves), 2):
            prior = covariance.get(first, {}).get(second)
            if prior is None:
                # A new pair starts at the default correlation of the variances it has.
                prior = (
                    variances[first]
                    if first == second
                    else policy.default_correlation * sqrt(variances[first] * variances[second])
                )
            covariance.setdefault(first, {})[second] = update_covariance(
                prior, returns[first], returns[second], elapsed, keep
            )
    return tracking.model_copy(
        update={
            "history": dict(report.history),
            "volatility": volatility,
            "covariance": covariance,
            "last_mids": mids,
            "last_mids_at": observed_at,
        }
    )


@exact
def correlations(tracking: Tracking) -> dict[str, dict[str, Decimal]]:
    """The account's correlation estimates of every pair, from its covariance estimates,
    within [-1, 1]. Whoever reads them keeps the pairs of the assets it knows, the look and
    the decision alike (``decide.books_to_carry``, the trading cycle)."""
    result: dict[str, dict[str, Decimal]] = {}
    estimates = tracking.covariance
    for first, row in estimates.items():
        for second, covariance in row.items():
            if second == first:
                continue
            scale = estimates[first].get(first, ZERO) * estimates.get(second, {}).get(second, ZERO)
            if scale <= 0:
                continue
            correlation = to_places(div(covariance, sqrt(scale)), CORRELATION_PLACES)
            result.setdefault(first, {})[second] = max(-ONE, min(ONE, correlation))
    return result


@exact
def retarget(
    tracking: Tracking, old: Mapping[str, Decimal], new: Mapping[str, Decimal], quote: str
) -> Tracking:
    """Targets changed: re-base the drift history on the new targets and record the
    instruction.

    A sample is weight - target; against the new target the same weight reads
    ``sample + old - new``. Re-basing keeps the weights' own trend (the real velocity)
    and removes the step the change would otherwise read as a trend. An asset that left
    the targets keeps its samples re-based on 0: it is now held without a target.
    """
    history: dict[str, tuple[Decimal, ...]] = {}
    for asset, samples in tracking.history.items():
        shift = old.get(asset, Decimal(0)) - new.get(asset, Decimal(0))
        history[asset] = tuple(sample + shift for sample in samples)
    changed = {
        asset
        for asset in set(old) | set(new)
        if asset != quote and old.get(asset, Decimal(0)) != new.get(asset, Decimal(0))
    }
    return tracking.model_copy(
        update={"history": history, "instructed": tracking.instructed | changed}
    )


def settle_instructions(tracking: Tracking, reached: Collection[str]) -> Tracking:
    """Instructions carried out (the leg traded to target, or nothing is left worth an
    order) end; from then on the band governs the drift prices cause."""
    if not tracking.instructed & set(reached):
        return tracking
    return tracking.model_copy(update={"instructed": tracking.instructed - set(reached)})
