"""``cost_aware``: the live account's trading cycle, driven in process.

The cycle is ``rebalancer.cycle.trading_cycle.TradingCycle``, the very code the account
workflow runs; here its port is the backtest's desk instead of activities. What is left in
this module is the host: when a check is due, which held legs are due, and the port.

One shortcut, exactly equivalent: a look at the account carries order books only for the
legs ``decide`` may take past the band (``assets_needing_books``), as detect-drift does
live, because ``decide`` never reads another leg's book.
"""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from rebalancer.backtest.desk import Desk
from rebalancer.cycle.port import (
    Closing,
    CyclePort,
    CycleTrigger,
    LegOrder,
    Look,
    Observation,
    OrderState,
    Refusal,
    plan_leg,
)
from rebalancer.cycle.trading_cycle import CycleMemory, Mandate, TradingCycle, samples_drift
from rebalancer.domain.decide import Plan, books_to_carry
from rebalancer.domain.execution import QueuedLeg
from rebalancer.domain.liquidity import LiquidityAssessment
from rebalancer.domain.orders import PlannedOrder
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.tracking import opened
from rebalancer.paper.orders import OrderRequest, PaperOrder
from rebalancer.venue.binance_weights import book_limit

ACCOUNT = "backtest"
Result = TypeVar("Result")


def run_at_once(step: Coroutine[Any, Any, Result]) -> Result:
    """Run a coroutine whose awaits all complete at once (an in-process port), without an
    event loop: a suspension would mean the port is not in-process after all."""
    try:
        step.send(None)
    except StopIteration as finished:
        result: Result = finished.value
        return result
    step.close()
    raise RuntimeError("an in-process port suspended")


class DeskPort:
    """The cycle's port on the backtest's desk: no latency, no faults, the same venue rules."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self._orders: dict[str, PaperOrder] = {}
        self._mids_of_cycle: tuple[int, dict[str, Decimal], datetime] | None = None

    def now(self) -> datetime:
        return self.desk.clock

    def paused(self) -> bool:
        return False

    async def trading(self) -> None:
        return None

    async def reconcile_open(self, cycle: int, symbols: tuple[str, ...]) -> None:
        self.desk.cancel_open_orders()

    async def detect(self, cycle: int, trigger: CycleTrigger, look: Look) -> Observation:
        desk = self.desk
        desk.advance(desk.clock)
        if self._mids_of_cycle is None or self._mids_of_cycle[0] != cycle:
            # Costs are measured against the market's mids at the decision, as the ledger's
            # realised cost is against the mids of the workflow's first look.
            mids = {asset: desk.mid(asset) for asset in desk.assets}
            self._mids_of_cycle = (cycle, mids, desk.clock)
        snapshot = desk.snapshot(dict(look.targets), policy=look.policy)
        depth = book_limit(look.policy.depth_levels)
        needed, _ = books_to_carry(snapshot, look.instructed, look.volatility, look.correlation)
        books = {desk.symbol(a): desk.book(a, depth) for a in needed}
        return Observation(
            snapshot=snapshot.model_copy(update={"books": books}),
            observed_at=desk.clock,
            started_at=desk.clock,
        )

    async def assess(self, leg: LegOrder) -> tuple[LiquidityAssessment, PlannedOrder | None]:
        return plan_leg(leg, self.desk.book(leg.asset, book_limit(leg.policy.depth_levels)))

    async def place(
        self, cycle: int, client_order_id: str, order: PlannedOrder, observation: Observation
    ) -> OrderState | Refusal:
        assert self._mids_of_cycle is not None
        _, mids, decided_at = self._mids_of_cycle
        request = OrderRequest(
            order.symbol,
            order.side,
            "limit",
            quantity=order.amount,
            price=order.price,
            client_order_id=client_order_id,
        )
        placed = self.desk.place(request, mids[order.asset], decided_at)
        if not isinstance(placed, PaperOrder):
            return Refusal(reason=placed.message)
        self._orders[client_order_id] = placed
        return _state(client_order_id, placed)

    async def await_fill(
        self, cycle: int, order: PlannedOrder, client_order_id: str, timeout_seconds: int
    ) -> OrderState:
        placed = self._orders[client_order_id]
        if placed.is_open:
            self.desk.advance(self.desk.clock + timedelta(seconds=timeout_seconds))
        return _state(client_order_id, placed)

    async def cancel(self, cycle: int, order: PlannedOrder, client_order_id: str) -> OrderState:
        placed = self.desk.cancel(self._orders.pop(client_order_id))
        return _state(client_order_id, placed)

    async def reconcile_cycle(self, closing: Closing) -> Decimal | None:
        # Fills are the desk's own records: the simulator costs them when the run ends.
        self._orders.clear()
        return None


def _state(client_order_id: str, order: PaperOrder) -> OrderState:
    return OrderState(
        client_order_id=client_order_id, filled=order.executed_quantity, final=not order.is_open
    )


class CostAware:
    """The simulator's policy: the account workflow's schedule around the shared cycle."""

    name = "cost_aware"

    def __init__(
        self, targets: dict[str, Decimal], quote: str, policy: PolicySettings, start: datetime
    ) -> None:
        self.targets = dict(targets)
        self.quote = quote
        self.policy = policy
        self.next_check_at = start
        self.account_id = ACCOUNT
        self.memory = CycleMemory(tracking=opened(self.targets, quote))
        self.last_plan: Plan | None = None
        # How often the rule ran past the band, and how often the band settled every leg.
        self.decisions = 0
        self.inside_band = 0
        self._port: DeskPort | None = None

    @property
    def cycle(self) -> int:
        return self.memory.cycle

    @property
    def queued(self) -> dict[str, QueuedLeg]:
        return self.memory.queued

    def next_wake(self) -> datetime:
        return min([self.next_check_at, *(leg.retry_at for leg in self.queued.values())])

    def run(self, desk: Desk) -> None:
        """One cycle at the desk's clock: the regular check if due, else the due legs."""
        if self._port is None or self._port.desk is not desk:
            self._port = DeskPort(desk)
        run_at_once(self.run_due(self._port))

    async def run_due(self, port: CyclePort) -> None:
        """The host's schedule, on any port: the regular check if due, else the due legs.
        The backtest runs it on its desk; the parity test on the workflow's activities."""
        now = port.now()
        if self.next_check_at <= now:
            await self._run_cycle(port, "timer", None)
            return
        due = frozenset(a for a, leg in self.queued.items() if leg.retry_at <= now)
        if due:
            await self._run_cycle(port, "requeue", due)

    async def _run_cycle(
        self, port: CyclePort, trigger: CycleTrigger, only: frozenset[str] | None
    ) -> None:
        mandate = Mandate(
            account_id=self.account_id, quote=self.quote, targets=self.targets, policy=self.policy
        )
        cycle = TradingCycle(port, mandate, self.memory, trigger, only)
        await cycle.run()
        progress = cycle.finish()
        self.memory = progress.memory
        self.last_plan = progress.plan
        if progress.report is not None:
            # Nothing past its band: no leg got a side.
            inside = progress.plan is not None and all(d.side is None for d in progress.plan.assets)
            if inside and not self.memory.tracking.instructed:
                self.inside_band += 1
            else:
                self.decisions += 1
        if samples_drift(trigger):
            interval = timedelta(seconds=self.policy.check_interval_seconds)
            self.next_check_at = progress.started_at + interval
