"""The policies a backtest can run, by name, built for one start time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from rebalancer.backtest.baselines import BASELINE_NAMES, DAY, DEFAULT_BAND, baseline
from rebalancer.backtest.cost_aware import CostAware
from rebalancer.backtest.simulator import Policy
from rebalancer.domain.policy_settings import PolicySettings

POLICIES = (*BASELINE_NAMES, "cost_aware")


def policy_factory(
    name: str,
    targets: dict[str, Decimal],
    quote: str,
    cadence: timedelta,
    settings: PolicySettings,
    *,
    band: Decimal | None = None,
    interval: timedelta | None = None,
) -> Callable[[datetime], Policy]:
    if name not in POLICIES:
        raise KeyError(name)

    def make(start: datetime) -> Policy:
        if name == "cost_aware":
            return CostAware(targets, quote, settings, start)
        return baseline(name, targets, quote, start, cadence, band=band, interval=interval)

    return make


def knobs(
    name: str, band: Decimal | None, interval: timedelta | None
) -> tuple[Decimal | None, timedelta | None]:
    """The band and the calendar's period ``name`` actually runs with: a default spelled
    out (``calendar`` without an interval runs daily), a knob it ignores dropped. Two runs
    with the same knobs, settings and market are the same run."""
    if name == "calendar":
        return None, interval or DAY
    if name in ("threshold", "band_edge"):
        return band or DEFAULT_BAND, None
    return None, None
