"""The policies a backtest can run, by name, built for one start time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from rebalancer.backtest.baselines import BASELINE_NAMES, Knobs, baseline
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
    knobs: Knobs,
) -> Callable[[datetime], Policy]:
    if name not in POLICIES:
        raise KeyError(name)

    def make(start: datetime) -> Policy:
        if name == "cost_aware":
            return CostAware(targets, quote, settings, start)
        return baseline(name, targets, quote, start, cadence, knobs)

    return make
