"""Side effects only: thin adapters from the workflow's steps to the venue and the ledger.

One module per pipeline step; ``AccountActivities`` holds the dependencies and registers each
step under its name (rebalancer.pipeline.activity_names). Every step is safe to run twice.
Each call runs with its log context bound (account, workflow id, cycle, client order id) and
its errors classified for Temporal's retry policy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
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
from rebalancer.cycle.port import Observation
from rebalancer.pipeline import activity_names as names
from rebalancer.pipeline.messages import (
    AccountRef,
    AssessRequest,
    AssessResult,
    AwaitFillRequest,
    CancelRequest,
    CycleRecord,
    DetectRequest,
    PlaceRequest,
    ReconcileRequest,
    ReconcileResult,
    RegisterRequest,
)
from rebalancer.venue.models import VenueOrder


@asynccontextmanager
async def step(
    account: AccountRef,
    *,
    cycle: int | None = None,
    client_order_id: str | None = None,
    symbol: str | None = None,
) -> AsyncIterator[None]:
    info = activity.info()
    context = {
        "account": account.account_id,
        "venue": account.venue,
        "workflow_id": info.workflow_id,
        "activity": info.activity_type,
        "attempt": info.attempt,
    }
    if cycle is not None:
        context["cycle"] = cycle
    if client_order_id is not None:
        context["client_order_id"] = client_order_id
    with structlog.contextvars.bound_contextvars(**context):
        async with classified(symbol):
            yield


class AccountActivities:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @activity.defn(name=names.REGISTER)
    async def register_account(self, request: RegisterRequest) -> None:
        config = request.config
        async with step(AccountRef(account_id=config.account_id, venue=config.venue)):
            await register_account(self.deps, request)

    @activity.defn(name=names.RECONCILE)
    async def reconcile(self, request: ReconcileRequest) -> ReconcileResult:
        async with step(request.account, cycle=request.cycle):
            return await reconcile(self.deps, request)

    @activity.defn(name=names.DETECT_DRIFT)
    async def detect_drift(self, request: DetectRequest) -> Observation:
        async with step(request.account, cycle=request.cycle):
            return await detect_drift(self.deps, request)

    @activity.defn(name=names.ASSESS_LIQUIDITY)
    async def assess_liquidity(self, request: AssessRequest) -> AssessResult:
        async with step(request.account, symbol=request.leg.rules.symbol):
            return await assess_liquidity(self.deps, request)

    @activity.defn(name=names.PLACE_LIMIT_ORDER)
    async def place_limit_order(self, request: PlaceRequest) -> VenueOrder:
        async with step(
            request.account,
            cycle=request.cycle,
            client_order_id=request.client_order_id,
            symbol=request.order.symbol,
        ):
            return await place_limit_order(self.deps, request)

    @activity.defn(name=names.AWAIT_FILL)
    async def await_fill(self, request: AwaitFillRequest) -> VenueOrder:
        async with step(
            request.account,
            cycle=request.cycle,
            client_order_id=request.client_order_id,
            symbol=request.symbol,
        ):
            return await await_fill(self.deps, request)

    @activity.defn(name=names.CANCEL_ORDER)
    async def cancel_order(self, request: CancelRequest) -> VenueOrder:
        async with step(
            request.account,
            cycle=request.cycle,
            client_order_id=request.client_order_id,
            symbol=request.symbol,
        ):
            return await cancel_order(self.deps, request)

    @activity.defn(name=names.RECORD_CYCLE)
    async def record_cycle(self, record: CycleRecord) -> None:
        async with step(record.account, cycle=record.summary.cycle):
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
