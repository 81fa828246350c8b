"""The trading cycle's port in the workflow: each step an activity, called by its method
(``activities/<step>.py``) with its timeout and retry policy (``workflows.retry_policies``).

A refusal is recognised by the activity error's own ``non_retryable`` flag: the worker
classified it where it was raised (activities/errors.py), so no list of error names is kept
here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.retry_policies import ORDER_RETRY, READ_RETRY

with workflow.unsafe.imports_passed_through():
    from activities import (
        AssessLiquidity,
        AwaitFill,
        CancelOrder,
        DetectDrift,
        PlaceLimitOrder,
        Reconcile,
    )
    from rebalancer.cycle import port
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
        ReconcileResult,
    )
    from rebalancer.venue.models import VenueOrder


def refusal(error: ActivityError) -> port.Refusal | None:
    """The venue's (or the ledger's) final answer, or None when the error is not final."""
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.non_retryable:
        return port.Refusal(
            reason=f"{cause.type}: {cause.message}" if cause.type else cause.message
        )
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
        await _reconcile(
            ReconcileRequest(account=self.account, cycle=cycle, symbols=symbols, cancel_stale=True)
        )

    async def detect(
        self, cycle: int, trigger: port.CycleTrigger, look: port.Look
    ) -> port.Observation:
        return await workflow.execute_local_activity_method(
            DetectDrift.run,
            DetectRequest.model_validate(
                {"account": self.account, "cycle": cycle, "trigger": trigger, "look": look}
            ),
            start_to_close_timeout=timedelta(seconds=15),
            retry_policy=READ_RETRY,
            summary=f"detect drift, cycle {cycle}",
        )

    async def assess(self, leg: port.LegOrder) -> tuple[LiquidityAssessment, PlannedOrder | None]:
        result = await workflow.execute_local_activity_method(
            AssessLiquidity.run,
            AssessRequest(account=self.account, leg=leg),
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=READ_RETRY,
            summary=f"assess {leg.side} {leg.quantity} {leg.asset}",
        )
        return result.assessment, result.order

    async def place(
        self, cycle: int, client_order_id: str, order: PlannedOrder, observation: port.Observation
    ) -> port.OrderState | port.Refusal:
        self._detect_started_at = observation.started_at
        try:
            placed = await workflow.execute_activity_method(
                PlaceLimitOrder.run,
                PlaceRequest(
                    account=self.account,
                    cycle=cycle,
                    client_order_id=client_order_id,
                    order=order,
                    detect_started_at=observation.started_at,
                ),
                start_to_close_timeout=timedelta(seconds=15),
                retry_policy=ORDER_RETRY,
                summary=(
                    f"{order.side} {order.amount} {order.symbol} @ {order.price} "
                    f"({order.style}) id {client_order_id}"
                ),
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
    ) -> port.OrderState:
        outcome = await workflow.execute_activity_method(
            AwaitFill.run,
            AwaitFillRequest(
                account=self.account,
                cycle=cycle,
                symbol=order.symbol,
                client_order_id=client_order_id,
                timeout_seconds=timeout_seconds,
                detect_started_at=self._detect_started_at,
            ),
            start_to_close_timeout=timedelta(seconds=timeout_seconds + 30),
            heartbeat_timeout=timedelta(seconds=10),
            retry_policy=ORDER_RETRY,
            summary=f"await fill {client_order_id} (up to {timeout_seconds}s)",
        )
        return _state(outcome)

    async def cancel(
        self, cycle: int, order: PlannedOrder, client_order_id: str
    ) -> port.OrderState:
        outcome = await workflow.execute_activity_method(
            CancelOrder.run,
            CancelRequest(
                account=self.account,
                cycle=cycle,
                symbol=order.symbol,
                client_order_id=client_order_id,
            ),
            start_to_close_timeout=timedelta(seconds=15),
            retry_policy=ORDER_RETRY,
            summary=f"cancel {client_order_id}",
        )
        return _state(outcome)

    async def reconcile_cycle(self, closing: port.Closing) -> Decimal | None:
        result = await _reconcile(
            ReconcileRequest.for_closing(
                self.account, closing, workflow.now(), self.policy.slippage_budget_bps
            )
        )
        return result.realised_cost


async def _reconcile(request: ReconcileRequest) -> ReconcileResult:
    return await workflow.execute_activity_method(
        Reconcile.run,
        request,
        start_to_close_timeout=timedelta(seconds=20),
        retry_policy=ORDER_RETRY,
        summary=f"reconcile cycle {request.cycle}: {', '.join(request.symbols) or 'all'}",
    )


def _state(order: VenueOrder) -> port.OrderState:
    return port.OrderState(
        client_order_id=order.client_order_id, filled=order.filled, final=order.is_final
    )
