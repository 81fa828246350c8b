"""Side effects only: thin adapters from the workflow's steps to the venue and the ledger.

One module per pipeline step; ``AccountActivities`` holds the dependencies and registers each
step under its name (rebalancer.pipeline.activity_names). Every step is safe to run twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import activity

from activities.assess_liquidity import assess_liquidity
from activities.await_fill import await_fill
from activities.cancel_order import cancel_order
from activities.deps import Deps
from activities.detect_drift import detect_drift
from activities.errors import classified
from activities.place_limit_order import place_limit_order
from activities.reconcile import reconcile
from activities.record_cycle import record_cycle
from activities.register_account import register_account
from rebalancer.pipeline import activity_names as names
from rebalancer.pipeline.messages import (
    AssessRequest,
    AssessResult,
    AwaitFillRequest,
    CancelRequest,
    CycleRecord,
    DetectRequest,
    DetectResult,
    PlaceRequest,
    ReconcileRequest,
    ReconcileResult,
    RegisterRequest,
)
from rebalancer.venue.models import VenueOrder


class AccountActivities:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @activity.defn(name=names.REGISTER)
    async def register_account(self, request: RegisterRequest) -> None:
        async with classified():
            await register_account(self.deps, request)

    @activity.defn(name=names.RECONCILE)
    async def reconcile(self, request: ReconcileRequest) -> ReconcileResult:
        async with classified():
            return await reconcile(self.deps, request)

    @activity.defn(name=names.DETECT_DRIFT)
    async def detect_drift(self, request: DetectRequest) -> DetectResult:
        async with classified():
            return await detect_drift(self.deps, request)

    @activity.defn(name=names.ASSESS_LIQUIDITY)
    async def assess_liquidity(self, request: AssessRequest) -> AssessResult:
        async with classified():
            return await assess_liquidity(self.deps, request)

    @activity.defn(name=names.PLACE_LIMIT_ORDER)
    async def place_limit_order(self, request: PlaceRequest) -> VenueOrder:
        async with classified():
            return await place_limit_order(self.deps, request)

    @activity.defn(name=names.AWAIT_FILL)
    async def await_fill(self, request: AwaitFillRequest) -> VenueOrder:
        async with classified():
            return await await_fill(self.deps, request)

    @activity.defn(name=names.CANCEL_ORDER)
    async def cancel_order(self, request: CancelRequest) -> VenueOrder:
        async with classified():
            return await cancel_order(self.deps, request)

    @activity.defn(name=names.RECORD_CYCLE)
    async def record_cycle(self, record: CycleRecord) -> None:
        async with classified():
            await record_cycle(self.deps, record)

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.register_account,
            self.reconcile,
            self.detect_drift,
            self.assess_liquidity,
            self.place_limit_order,
            self.await_fill,
            self.cancel_order,
            self.record_cycle,
        ]
