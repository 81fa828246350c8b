"""Side effects only: thin adapters from the workflow's steps to the venue and the ledger.

One module per pipeline step, each one class whose ``run`` method is the step's activity
(``@activity.defn`` with the step's name), holding the worker's dependencies (``Deps``).
The workflow calls them by method (``workflow.execute_activity_method(DetectDrift.run,
...)``), so nothing here may do I/O on import. Every step is safe to run twice. Each call
runs with its log context bound and its errors classified for Temporal's retry policy by
the worker's interceptor (``activities.interceptor.StepContext``), not by the step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from activities.assess_liquidity import AssessLiquidity
from activities.await_fill import AwaitFill
from activities.cancel_order import CancelOrder
from activities.deps import Deps, Step
from activities.detect_drift import DetectDrift
from activities.interceptor import StepContext
from activities.place_limit_order import PlaceLimitOrder
from activities.reconcile import Reconcile
from activities.record_cycle import RecordCycle
from activities.register_account import RegisterAccount
from activities.watch_venue import WatchVenue

STEPS: tuple[type[Step], ...] = (
    RegisterAccount,
    Reconcile,
    DetectDrift,
    AssessLiquidity,
    PlaceLimitOrder,
    AwaitFill,
    CancelOrder,
    RecordCycle,
    WatchVenue,
)


def account_activities(deps: Deps) -> list[Callable[..., Awaitable[Any]]]:
    """What a worker registers: every step's activity, bound to ``deps``."""
    return [step(deps).run for step in STEPS]


__all__ = [
    "STEPS",
    "AssessLiquidity",
    "AwaitFill",
    "CancelOrder",
    "Deps",
    "DetectDrift",
    "PlaceLimitOrder",
    "Reconcile",
    "RecordCycle",
    "RegisterAccount",
    "StepContext",
    "WatchVenue",
    "account_activities",
]
