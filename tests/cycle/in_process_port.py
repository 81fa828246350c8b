"""The cycle's port in process, through the workflow's own activities.

Every step calls the activity the workflow calls (``run`` in activities/<step>.py) on an
in-memory venue and ledger, so a test drives the real detection, assessment, placement,
cancellation and reconciliation without a Temporal server. Only the wait for a fill is the
test's: ``on_wait`` decides what fills while an order rests (default: nothing), where the
activity would poll the venue for real seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from activities import (
    AssessLiquidity,
    CancelOrder,
    Deps,
    DetectDrift,
    PlaceLimitOrder,
    Reconcile,
)
from rebalancer.cycle.port import Closing, LegOrder, Look, Observation, OrderState, Refusal
from rebalancer.domain.liquidity import LiquidityAssessment
from rebalancer.domain.orders import PlannedOrder
from rebalancer.pipeline.messages import (
    AccountRef,
    AssessRequest,
    CancelRequest,
    DetectRequest,
    PlaceRequest,
    ReconcileRequest,
)
from rebalancer.venue.errors import FinalVenueError
from rebalancer.venue.pool import GatewayPool
from tests.workflows.memory_ledger import MemoryLedger
from tests.workflows.memory_venue import MemoryVenue

START = datetime(2026, 1, 5, tzinfo=UTC)


class InProcessPort:
    def __init__(
        self,
        venue: MemoryVenue,
        account_id: str = "acct",
        on_wait: Callable[[MemoryVenue, str], None] | None = None,
    ) -> None:
        self.venue = venue
        self.ledger = MemoryLedger()
        self.deps = Deps(ledger=self.ledger, venues=GatewayPool(lambda account, name: venue))
        self.account = AccountRef(account_id=account_id, venue="paper")
        self.clock = START
        self.on_wait = on_wait
        self.looks: list[Observation] = []
        self.refusals: list[str] = []

    def now(self) -> datetime:
        return self.clock

    def paused(self) -> bool:
        return False

    async def trading(self) -> None:
        return None

    async def reconcile_open(self, cycle: int, symbols: tuple[str, ...]) -> None:
        await Reconcile(self.deps).run(
            ReconcileRequest(account=self.account, cycle=cycle, symbols=symbols, cancel_stale=True)
        )

    async def detect(self, cycle: int, trigger: str, look: Look) -> Observation:
        request = DetectRequest.model_validate(
            {"account": self.account, "cycle": cycle, "trigger": trigger, "look": look}
        )
        observation = await DetectDrift(self.deps).run(request)
        self.looks.append(observation)
        return observation

    async def assess(self, leg: LegOrder) -> tuple[LiquidityAssessment, PlannedOrder | None]:
        result = await AssessLiquidity(self.deps).run(AssessRequest(account=self.account, leg=leg))
        return result.assessment, result.order

    async def place(
        self, cycle: int, client_order_id: str, order: PlannedOrder, observation: Observation
    ) -> OrderState | Refusal:
        request = PlaceRequest(
            account=self.account, cycle=cycle, client_order_id=client_order_id, order=order
        )
        try:
            placed = await PlaceLimitOrder(self.deps).run(request)
        except FinalVenueError as error:
            self.refusals.append(client_order_id)
            return Refusal(reason=f"{type(error).__name__}: {error}")
        return OrderState(
            client_order_id=client_order_id, filled=placed.filled, final=placed.is_final
        )

    async def await_fill(
        self, cycle: int, order: PlannedOrder, client_order_id: str, timeout_seconds: int
    ) -> OrderState:
        if self.on_wait is not None:
            self.on_wait(self.venue, client_order_id)
        self.clock += timedelta(seconds=timeout_seconds)
        found = self.venue.orders[client_order_id]
        return OrderState(
            client_order_id=client_order_id, filled=found.filled, final=found.is_final
        )

    async def cancel(self, cycle: int, order: PlannedOrder, client_order_id: str) -> OrderState:
        request = CancelRequest(
            account=self.account, cycle=cycle, symbol=order.symbol, client_order_id=client_order_id
        )
        done = await CancelOrder(self.deps).run(request)
        return OrderState(client_order_id=client_order_id, filled=done.filled, final=done.is_final)

    async def reconcile_cycle(self, closing: Closing) -> Decimal | None:
        request = ReconcileRequest.model_validate(
            {
                "account": self.account,
                **closing.model_dump(),
                "record_balances": True,
                "observed_at": self.clock,
            }
        )
        return (await Reconcile(self.deps).run(request)).realised_cost
