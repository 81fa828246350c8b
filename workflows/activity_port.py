"""The trading cycle's port in the workflow: each step an activity (``workflows.steps``).

A refusal is recognised by the activity error's own ``non_retryable`` flag: the activity
classified it (activities/errors.py), so no list of error names is kept here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import steps

with workflow.unsafe.imports_passed_through():
    from rebalancer.cycle.port import Closing, LegOrder, Look, Observation, OrderState, Refusal
    from rebalancer.domain.liquidity import LiquidityAssessment
    from rebalancer.domain.orders import PlannedOrder
    from rebalancer.domain.policy_settings import PolicySettings
    from rebalancer.pipeline.messages import (
        AccountRef,
        AssessRequest,
        AwaitFillRequest,
        CancelRequest,
        DetectRequest,
        PlaceRequest,
        ReconcileRequest,
    )
    from rebalancer.venue.models import VenueOrder


def refusal(error: ActivityError) -> Refusal | None:
    """The venue's (or the ledger's) final answer, or None when the error is not final."""
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.non_retryable:
        return Refusal(reason=f"{cause.type}: {cause.message}" if cause.type else cause.message)
    return None


class ActivityPort:
    def __init__(
        self,
        account: AccountRef,
        policy: PolicySettings,
        paused: Callable[[], bool],
        trading: Callable[[], Awaitable[None]],
    ) -> None:
        self.account = account
        self.policy = policy
        self._paused = paused
        self._trading = trading
        # When the look behind the orders began: first-fill latency is measured from it.
        self._detect_started_at: datetime | None = None

    def now(self) -> datetime:
        return workflow.now()

    def paused(self) -> bool:
        return self._paused()

    async def trading(self) -> None:
        await self._trading()

    async def reconcile_open(self, cycle: int, symbols: tuple[str, ...]) -> None:
        await steps.reconcile(
            ReconcileRequest(account=self.account, cycle=cycle, symbols=symbols, cancel_stale=True)
        )

    async def detect(self, cycle: int, trigger: str, look: Look) -> Observation:
        return await steps.detect_drift(
            DetectRequest.model_validate(
                {"account": self.account, "cycle": cycle, "trigger": trigger, "look": look}
            )
        )

    async def assess(self, leg: LegOrder) -> tuple[LiquidityAssessment, PlannedOrder | None]:
        result = await steps.assess_liquidity(AssessRequest(account=self.account, leg=leg))
        return result.assessment, result.order

    async def place(
        self, cycle: int, client_order_id: str, order: PlannedOrder, observation: Observation
    ) -> OrderState | Refusal:
        self._detect_started_at = observation.started_at
        try:
            placed = await steps.place_limit_order(
                PlaceRequest(
                    account=self.account,
                    cycle=cycle,
                    client_order_id=client_order_id,
                    order=order,
                    detect_started_at=observation.started_at,
                )
            )
        except ActivityError as error:
            refused = refusal(error)
            if refused is None:
                raise
            workflow.logger.warning("order %s refused: %s", client_order_id, refused.reason)
            return refused
        return _state(placed)

    async def await_fill(
        self, cycle: int, order: PlannedOrder, client_order_id: str, timeout_seconds: int
    ) -> OrderState:
        outcome = await steps.await_fill(
            AwaitFillRequest(
                account=self.account,
                cycle=cycle,
                symbol=order.symbol,
                client_order_id=client_order_id,
                timeout_seconds=timeout_seconds,
                detect_started_at=self._detect_started_at,
            )
        )
        return _state(outcome)

    async def cancel(self, cycle: int, order: PlannedOrder, client_order_id: str) -> OrderState:
        outcome = await steps.cancel_order(
            CancelRequest(
                account=self.account,
                cycle=cycle,
                symbol=order.symbol,
                client_order_id=client_order_id,
            )
        )
        return _state(outcome)

    async def reconcile_cycle(self, closing: Closing) -> Decimal | None:
        result = await steps.reconcile(
            ReconcileRequest(
                account=self.account,
                cycle=closing.cycle,
                symbols=closing.symbols,
                since=closing.since,
                decision_mids=closing.decision_mids,
                record_balances=True,
                observed_at=workflow.now(),
                slippage_budget_bps=self.policy.slippage_budget_bps,
            )
        )
        return result.realised_cost


def _state(order: VenueOrder) -> OrderState:
    return OrderState(
        client_order_id=order.client_order_id, filled=order.filled, final=order.is_final
    )
