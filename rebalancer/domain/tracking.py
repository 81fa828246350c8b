"""What an account remembers between checks: drift samples, volatility, pending instructions.

The live workflow keeps a ``Tracking`` in its durable state and the backtest keeps one per
simulated account; both change it only through the functions here, so velocity, volatility
and the meaning of a target change are the same in both.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal

from pydantic import AwareDatetime, Field

from rebalancer.domain.drift import DriftReport
from rebalancer.domain.market import Frozen
from rebalancer.domain.numbers import Dec, PosDec, exact
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.volatility import update_volatility


class Tracking(Frozen):
    # Drift samples per asset, oldest first, trimmed to the velocity window. Durable so a
    # restart or continue-as-new does not forget them (the seed's drift-history bug).
    history: dict[str, tuple[Dec, ...]] = Field(default_factory=dict)
    volatility: dict[str, PosDec] = Field(default_factory=dict)
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
    """A regular check's sample: the report's history (this drift appended) and volatility
    moved by the prices since the previous sample."""
    half_life = policy.volatility_half_life_hours * 3600
    mids = {r.asset: r.price for r in report.assets if r.asset != quote}
    volatility = dict(tracking.volatility)
    if tracking.last_mids_at is not None:
        elapsed = Decimal((observed_at - tracking.last_mids_at).total_seconds()).quantize(
            Decimal("0.001")
        )
        for asset, mid in mids.items():
            previous_price = tracking.last_mids.get(asset)
            if previous_price is None:
                continue
            previous = volatility.get(asset, policy.default_volatility)
            volatility[asset] = update_volatility(previous, previous_price, mid, elapsed, half_life)
    return tracking.model_copy(
        update={
            "history": dict(report.history),
            "volatility": volatility,
            "last_mids": mids,
            "last_mids_at": observed_at,
        }
    )


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
