"""Every policy as a frontier: each rule swept along its one knob, on a grid fixed in advance.

A single setting of a rule is one point of cost against tracking; comparing single points
compares settings, not rules. Each rule here is a family:

- ``calendar``: to target every hour, day, week or month;
- ``threshold``: to target when |drift| passes the band;
- ``band_edge``: back to the band's edge when |drift| passes it;
- ``seed``: the article's engine, as written (one point: it has no knob);
- ``cost_aware``: the production policy, swept along its risk aversion.

The grids are log-spaced and the same for every market and period: they were not shaped
around any result, and they span the tracking levels users run at (a band from 0.5% to 8%).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from rebalancer.backtest.baselines import NO_KNOBS, Knobs
from rebalancer.backtest.equal_tracking import Mark
from rebalancer.backtest.frontier import frontier_settings
from rebalancer.backtest.metrics import Metrics
from rebalancer.domain.numbers import plain
from rebalancer.domain.policy_settings import PolicySettings

CALENDAR_GRID = (
    ("1h", timedelta(hours=1)),
    ("1d", timedelta(days=1)),
    ("7d", timedelta(days=7)),
    ("30d", timedelta(days=30)),
)
BAND_GRID = tuple(Decimal(x) for x in ("0.005", "0.01", "0.02", "0.04", "0.08"))
# With per-asset bands a band scales as risk aversion to the -1/3: a factor of 8 in risk
# aversion halves every band, so this grid spans the same 0.5%-8% as BAND_GRID.
ASYMPTOTIC_GRID = tuple(Decimal(x) for x in ("0.06", "0.5", "4", "32", "256", "2048"))
# With one band, band = fee / (risk_aversion sigma^2 H): inversely proportional.
FIXED_GRID = tuple(Decimal(x) for x in ("0.25", "0.5", "1", "2", "4", "8"))
DAILY_CRON = "calendar 1d"
FAMILIES = ("calendar", "threshold", "band_edge", "seed", "cost_aware")


@dataclass(frozen=True)
class Member:
    """One point of a family: what to run."""

    policy: str
    label: str
    settings: PolicySettings
    knobs: Knobs = NO_KNOBS


@dataclass(frozen=True)
class FamilyPoint:
    policy: str
    label: str
    metrics: Metrics

    @property
    def mark(self) -> Mark:
        return mark(self.label, self.metrics)


def mark(label: str, metrics: Metrics) -> Mark:
    """A run as a frontier point: RMS weight drift (the tracking users mean) and cost."""
    return Mark(label, metrics.tracking_error_rms_weight, metrics.total_cost)


def members(
    policy: str, base: PolicySettings, fee: Decimal, grid: Sequence[Decimal] | None = None
) -> list[Member]:
    """The family of ``policy``: its grid, with ``base`` as cost_aware's other settings and
    ``grid`` (risk aversions) instead of cost_aware's default one."""
    if policy == "calendar":
        return [
            Member(policy, f"calendar {name}", base, Knobs(interval=every))
            for name, every in CALENDAR_GRID
        ]
    if policy in ("threshold", "band_edge"):
        return [
            Member(policy, f"{policy} {plain(b * 100)}%", base, Knobs(band=b)) for b in BAND_GRID
        ]
    if policy == "seed":
        return [Member(policy, "seed", base)]
    if policy == "cost_aware":
        sweep = frontier_settings(base, grid or cost_aware_grid(base), fee)
        return [
            Member("cost_aware", f"cost_aware lambda={plain(s.risk_aversion)}", s) for s in sweep
        ]
    raise KeyError(policy)


def cost_aware_grid(base: PolicySettings) -> tuple[Decimal, ...]:
    """Risk aversions spanning bands of about 0.25% to 8%, for the base's band rule."""
    # Both per-asset rules scale as the -1/3 power; the covariance rule's bands sit a little
    # inside the asymptotic rule's at the same risk aversion, on the same grid.
    return FIXED_GRID if base.band_rule == "fixed" else ASYMPTOTIC_GRID
