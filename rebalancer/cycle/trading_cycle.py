"""One trading cycle of one account, against a ``CyclePort``.

reconcile (when something may be unaccounted) -> detect -> drift and tracking -> decide ->
per leg, sells first: assess on a fresh book -> place -> await fill -> re-price or cancel ->
hold what is left -> buys re-planned on the cash the sells raised -> reconcile.

Deterministic: no clock but ``port.now()``, no I/O but the port's, so the workflow can run
it as workflow code and the backtest as plain code. Every rule it applies lives in the
domain (``decide``, ``plan_order``, ``after_order``, ``requeue``, ``observe``); what is here
is the order of the steps and the bookkeeping between them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from pydantic import Field

from rebalancer.cycle.port import (
    Closing,
    CyclePort,
    CycleTrigger,
    LegOrder,
    Look,
    Observation,
    Refusal,
)
from rebalancer.domain.costs import worst_fee_rate
from rebalancer.domain.decide import Plan, decide
from rebalancer.domain.drift import DriftReport, compute_drift
from rebalancer.domain.execution import (
    Hold,
    QueuedLeg,
    after_order,
    buys_after_sells,
    requeue,
    start_leg,
)
from rebalancer.domain.market import Frozen, symbol_for
from rebalancer.domain.numbers import ONE, ZERO, Fraction
from rebalancer.domain.orders import PlannedOrder, client_order_id
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.snapshot import Snapshot, known_pairs
from rebalancer.domain.tracking import Tracking, correlations, observe, settle_instructions

REFUSED = "refused by the venue"


def samples_drift(trigger: CycleTrigger) -> bool:
    """Regular checks sample drift for velocity; re-assessing a held leg does not."""
    return trigger != "requeue"


@dataclass(frozen=True)
class Placed:
    """An order of the leg the venue accepted."""

    order: PlannedOrder


@dataclass(frozen=True)
class Settled:
    """A placed order that is final: what filled, and the quote a buy spent on it."""

    client_order_id: str
    filled: Decimal
    spent: Decimal


@dataclass(frozen=True)
class LegEnd:
    """How the leg ends this cycle: held (with why), or done; ``reached`` when it traded all
    the way to its goal (only then is an instruction carried out)."""

    hold: Hold | None = None
    reached: bool = False


LegStep = Placed | Settled | LegEnd


class Mandate(Frozen):
    """What the operator set for the account: the cycle's fixed inputs."""

    account_id: str
    quote: str
    targets: dict[str, Fraction]
    policy: PolicySettings


class CycleMemory(Frozen):
    """What one cycle hands the next; a host keeps it durable (the workflow's state)."""

    # The last cycle's number: client order ids carry it.
    cycle: int = Field(default=0, ge=0)
    tracking: Tracking = Field(default_factory=Tracking)
    queued: dict[str, QueuedLeg] = Field(default_factory=dict)
    # Set while orders may be unaccounted (a cycle ended before its closing reconcile).
    needs_reconcile: bool = True


@dataclass
class CycleProgress:
    """What the cycle has done so far. A host reads it after the cycle, also when a step
    failed part way (then ``decided`` tells whether legs were considered at all)."""

    number: int
    tracking: Tracking
    queued: dict[str, QueuedLeg]
    needs_reconcile: bool
    started_at: datetime
    plan: Plan | None = None
    report: DriftReport | None = None
    considered: set[str] = field(default_factory=set)
    holds: dict[str, Hold] = field(default_factory=dict)
    orders: list[PlannedOrder] = field(default_factory=list)
    filled: dict[str, Decimal] = field(default_factory=dict)
    # Legs traded all the way to their goal in this cycle.
    done: set[str] = field(default_factory=set)
    realised_cost: Decimal | None = None
    unpriced: tuple[str, ...] = ()
    # What the decision saw (balances, prices, tracking): the host derives from it what
    # outlives the cycle, such as the bands the fleet watcher screens.
    snapshot: Snapshot | None = None

    @property
    def decided(self) -> bool:
        return self.plan is not None

    @property
    def memory(self) -> CycleMemory:
        return CycleMemory(
            cycle=self.number,
            tracking=self.tracking,
            queued=self.queued,
            needs_reconcile=self.needs_reconcile,
        )

    @property
    def orders_placed(self) -> int:
        return len(self.filled)

    @property
    def orders_filled(self) -> int:
        return sum(1 for filled in self.filled.values() if filled > 0)

    @property
    def predicted_cost(self) -> Decimal | None:
        if not self.filled:
            return None
        return sum(
            (o.predicted_cost.total for o in self.orders if o.predicted_cost is not None), ZERO
        )


class TradingCycle:
    """The cycle after ``memory.cycle``, for ``trigger``; ``only`` these legs (a held leg's
    retry), or every asset when None."""

    def __init__(
        self,
        port: CyclePort,
        mandate: Mandate,
        memory: CycleMemory,
        trigger: CycleTrigger,
        only: frozenset[str] | None = None,
    ) -> None:
        self.port = port
        self.mandate = mandate
        self.trigger = trigger
        self.only = only
        self.number = memory.cycle + 1
        self.progress = CycleProgress(
            number=self.number,
            tracking=memory.tracking,
            queued=dict(memory.queued),
            needs_reconcile=memory.needs_reconcile,
            started_at=port.now(),
        )
        self._decision_mids: dict[str, Decimal] = {}
        # Free quote the buys of this cycle may still spend, fees included.
        self._cash = ZERO

    async def run(self) -> CycleProgress:
        mandate, port, progress = self.mandate, self.port, self.progress
        if progress.needs_reconcile:
            await port.reconcile_open(self.number, self._symbols())
            progress.needs_reconcile = False
        sampling = samples_drift(self.trigger)
        observation = await self._detect()
        snapshot = self._with_tracking(observation.snapshot)
        report = compute_drift(snapshot, sample=sampling)
        if sampling:
            progress.tracking = observe(
                progress.tracking, report, observation.observed_at, mandate.policy, mandate.quote
            )
        plan = decide(snapshot, report)
        progress.plan, progress.report, progress.snapshot = plan, report, snapshot
        progress.unpriced = observation.unpriced
        assets = [row.asset for row in plan.assets if row.asset != mandate.quote]
        considered = set(self.only) if self.only is not None else set(assets)
        progress.considered = considered
        self._decision_mids = {
            snapshot.symbol(row.asset): row.price
            for row in report.assets
            if row.asset != mandate.quote
        }
        for row in plan.assets:
            if row.asset in considered and row.verdict == "queue" and row.side is not None:
                progress.holds[row.asset] = Hold(row.side, row.reason, False)
        sells = [o for o in plan.orders if o.side == "sell" and o.asset in considered]
        buys = [o for o in plan.orders if o.side == "buy" and o.asset in considered]
        if sells or buys:
            progress.needs_reconcile = True
            await port.trading()
        for order in sells:
            await self._trade(order, plan, observation)
        if buys and sells:
            # Buys are sized on the cash the sells actually raised, not on a forecast.
            observation = await self._detect()
            snapshot = self._with_tracking(observation.snapshot)
            plan = decide(snapshot, compute_drift(snapshot, sample=False))
            buys = buys_after_sells(plan.orders, considered, {o.asset for o in sells})
        self._cash = observation.snapshot.free(mandate.quote) * (ONE - mandate.policy.fee_buffer)
        for order in buys:
            await self._trade(order, plan, observation)
        if progress.filled:
            symbols = tuple(sorted({o.symbol for o in progress.orders}))
            progress.realised_cost = await port.reconcile_cycle(
                Closing(
                    cycle=self.number,
                    symbols=symbols,
                    since=progress.started_at,
                    decision_mids=self._decision_mids,
                )
            )
        progress.needs_reconcile = False
        return progress

    def finish(self) -> CycleProgress:
        """Close the books of the cycle, whether it ran through or stopped on an error: held
        legs wait on their timers, carried-out instructions end."""
        progress = self.progress
        if not progress.decided:
            return progress
        progress.queued = requeue(
            progress.queued,
            progress.considered,
            progress.holds,
            self.port.now(),
            self.mandate.policy,
        )
        assert progress.plan is not None
        reached = {
            row.asset
            for row in progress.plan.assets
            if row.reached and row.asset in progress.considered
        }
        progress.tracking = settle_instructions(progress.tracking, reached | progress.done)
        return progress

    async def _detect(self) -> Observation:
        mandate = self.mandate
        tracking = self.progress.tracking
        look = Look(
            quote=mandate.quote,
            targets=dict(mandate.targets),
            policy=mandate.policy,
            instructed=tracking.instructed,
            volatility=dict(tracking.volatility),
            correlation=correlations(tracking),
            last_mids=dict(tracking.last_mids),
        )
        return await self.port.detect(self.number, self.trigger, look)

    def _with_tracking(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot with what the account remembers, for the assets it still has."""
        tracking = self.progress.tracking
        known = set(snapshot.asset_order())
        return snapshot.model_copy(
            update={
                "history": {a: h for a, h in tracking.history.items() if a in known},
                "volatility": {a: v for a, v in tracking.volatility.items() if a in known},
                "correlation": known_pairs(correlations(tracking), known),
                "instructed": frozenset(tracking.instructed & known) - {snapshot.quote},
            }
        )

    def _symbols(self) -> tuple[str, ...]:
        mandate = self.mandate
        assets = set(mandate.targets) | set(self.progress.tracking.last_mids)
        return tuple(sorted(symbol_for(a, mandate.quote) for a in assets if a != mandate.quote))

    async def _trade(self, planned: PlannedOrder, plan: Plan, observation: Observation) -> None:
        """Work one leg and record what it did, step by step: a step that fails part way
        leaves the orders before it recorded."""
        progress = self.progress
        async for step in self._work_leg(planned, plan, observation):
            if isinstance(step, Placed):
                progress.orders.append(step.order)
            elif isinstance(step, Settled):
                progress.filled[step.client_order_id] = step.filled
                self._cash -= step.spent
            elif step.hold is not None:
                progress.holds[planned.asset] = step.hold
            else:
                progress.holds.pop(planned.asset, None)
                if step.reached:
                    progress.done.add(planned.asset)

    async def _work_leg(
        self, planned: PlannedOrder, plan: Plan, observation: Observation
    ) -> AsyncIterator[LegStep]:
        """Work one leg by the domain's execution rule (passive, then marketable within
        budget; slices and unfilled remainders held on a timer). Every order gets its own
        deterministic client id (account, cycle, leg, slice)."""
        mandate, port = self.mandate, self.port
        policy = mandate.policy
        rules = observation.snapshot.markets[planned.symbol]
        fee = ONE + worst_fee_rate(rules)
        buying = planned.side == "buy"
        leg = start_leg(planned.amount, planned.style, plan.of(planned.asset).verdict == "slice")

        def held(reason: str) -> LegEnd:
            return LegEnd(hold=Hold(planned.side, reason, leg.progressed))

        while True:
            if port.paused():
                yield held("paused mid-cycle")
                return
            assessment, order = await port.assess(
                LegOrder(
                    asset=planned.asset,
                    side=planned.side,
                    quantity=leg.remaining,
                    rules=rules,
                    policy=policy,
                    style=leg.style,
                    slice_number=leg.slice_number,
                    cash=self._cash if buying else None,
                )
            )
            if order is None:
                yield held(assessment.reason)
                return
            client_id = client_order_id(
                mandate.account_id, self.number, planned.asset, leg.slice_number
            )
            placed = await port.place(self.number, client_id, order, observation)
            if isinstance(placed, Refusal):
                yield held(f"{REFUSED}: {placed.reason}"[:200])
                return
            yield Placed(order)
            outcome = placed
            if not outcome.final:
                outcome = await port.await_fill(
                    self.number, order, client_id, policy.fill_timeout_seconds
                )
            if not outcome.final:
                outcome = await port.cancel(self.number, order, client_id)
            # At the limit price: a buy never pays more, so this never overstates cash spent.
            spent = outcome.filled * order.price * fee if buying else ZERO
            yield Settled(client_id, outcome.filled, spent)
            step = after_order(leg, order.amount, outcome.filled, assessment.verdict, policy)
            leg = step.state
            if step.action == "done":
                # All the way to the goal, not a leg the cash or the free balance cut short.
                goal = plan.of(planned.asset).desired_quantity
                yield LegEnd(reached=leg.remaining <= 0 and planned.amount >= goal)
                return
            if step.action == "hold":
                yield held(step.reason)
                return
