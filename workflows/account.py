"""AccountWorkflow: one durable workflow per account (id ``account-<id>``).

A cycle: reconcile (when something may be unaccounted) -> detect drift -> decide (here, with
the pure domain policy) -> per leg, sells first: assess liquidity -> place limit order ->
await fill -> re-price or cancel on timeout -> reconcile fills into the ledger.

Legs the book cannot take now wait on durable timers and are re-assessed when they fire.
Every piece of state lives here and is carried across continue-as-new. This module does no
I/O: activities do, called by name through ``workflows.steps``.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import steps

with workflow.unsafe.imports_passed_through():
    from rebalancer.domain.decide import Plan, decide
    from rebalancer.domain.execution import (
        Hold,
        after_order,
        buys_after_sells,
        requeue,
        start_leg,
    )
    from rebalancer.domain.market import MarketRules
    from rebalancer.domain.numbers import ZERO
    from rebalancer.domain.orders import PlannedOrder, client_order_id
    from rebalancer.domain.policy_settings import PolicySettings
    from rebalancer.domain.volatility import update_volatility
    from rebalancer.pipeline import search_attributes as sa
    from rebalancer.pipeline.messages import (
        AccountConfig,
        AccountRef,
        AccountStatus,
        AssessRequest,
        AwaitFillRequest,
        CancelRequest,
        CycleRecord,
        CycleSummary,
        DetectRequest,
        DetectResult,
        ForceRequest,
        PlaceRequest,
        PolicyUpdate,
        ReconcileRequest,
        RegisterRequest,
        TargetsUpdate,
    )
    from rebalancer.pipeline.state import AccountState, AccountWorkflowInput
    from rebalancer.venue.models import VenueOrder

# Cycles that sample drift for velocity: regular checks, not re-assessments of queued legs.
SAMPLING_TRIGGERS = frozenset({"timer", "force", "schedule", "start", "targets"})
HISTORY_EVENTS_LIMIT = 8_000


def workflow_id(account_id: str) -> str:
    return f"account-{account_id}"


@workflow.defn(name="AccountWorkflow")
class AccountWorkflow:
    @workflow.init
    def __init__(self, request: AccountWorkflowInput) -> None:
        self._state = request.state or AccountState(config=request.config)
        self._force: ForceRequest | None = None
        self._wake = False
        self._activity = "idle"
        self._published: tuple[str, float] | None = None
        # Orders planned in the running cycle, for its predicted cost.
        self._planned: list[PlannedOrder] = []
        self._quiet = False
        self._scheduled_at: datetime | None = None

    # Handlers ---------------------------------------------------------------------------

    @workflow.signal
    def pause(self) -> None:
        self._state.paused = True
        self._wake = True

    @workflow.signal
    def resume(self) -> None:
        self._state.paused = False
        self._wake = True

    @workflow.signal
    def force(self, request: ForceRequest) -> None:
        self._force = request
        self._wake = True

    @workflow.update
    def set_targets(self, update: TargetsUpdate) -> AccountStatus:
        self._state.config = self._with_targets(update)
        # New targets deserve a check now, not at the next tick.
        self._force = ForceRequest(reason="targets changed", trigger="force")
        self._wake = True
        return self.status()

    @set_targets.validator
    def _validate_targets(self, update: TargetsUpdate) -> None:
        self._with_targets(update)

    @workflow.update
    def set_policy(self, update: PolicyUpdate) -> AccountStatus:
        self._state.config = self._with_policy(update)
        self._wake = True
        return self.status()

    @set_policy.validator
    def _validate_policy(self, update: PolicyUpdate) -> None:
        self._with_policy(update)

    @workflow.query
    def status(self) -> AccountStatus:
        state = self._state
        return AccountStatus(
            account_id=state.config.account_id,
            venue=state.config.venue,
            state=self._public_state(),
            paused=state.paused,
            cycle=state.cycle,
            targets=dict(state.config.targets),
            policy=state.config.policy,
            next_check_at=state.next_check_at,
            queued=tuple(state.queued.values()),
            drift=dict(state.last_drift),
            last_cycle=state.last_cycle,
            totals=dict(state.totals),
        )

    def _with_targets(self, update: TargetsUpdate) -> AccountConfig:
        config = self._state.config
        # Assets may be added; detect refuses one the venue has no market for.
        try:
            return AccountConfig.model_validate(
                {**config.model_dump(mode="json"), "targets": dict(update.targets)}
            )
        except ValueError as error:
            raise ApplicationError(
                f"targets rejected: {_first_error(error)}", type="InvalidInput", non_retryable=True
            ) from None

    def _with_policy(self, update: PolicyUpdate) -> AccountConfig:
        config = self._state.config
        try:
            policy = PolicySettings.model_validate(
                {**config.policy.model_dump(mode="json"), **update.policy}
            )
        except ValueError as error:
            raise ApplicationError(
                f"policy rejected: {_first_error(error)}", type="InvalidInput", non_retryable=True
            ) from None
        return config.model_copy(update={"policy": policy})

    # Main loop --------------------------------------------------------------------------

    @workflow.run
    async def run(self, request: AccountWorkflowInput) -> None:
        state = self._state
        if not state.registered:
            await steps.register(RegisterRequest(config=state.config, registered_at=workflow.now()))
            state.registered = True
            state.next_check_at = workflow.now()
        self._publish()
        while True:
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(AccountWorkflowInput(config=state.config, state=state))
            work = await self._wait_for_work()
            if work is None:
                continue
            trigger, only = work
            await self._run_cycle(trigger, only)

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > HISTORY_EVENTS_LIMIT
        )

    async def _wait_for_work(self) -> tuple[str, frozenset[str] | None] | None:
        state = self._state
        now = workflow.now()
        if not state.paused:
            if self._force is not None:
                trigger = self._force.trigger
                self._force = None
                return trigger, None
            if state.next_check_at is None or state.next_check_at <= now:
                self._scheduled_at = state.next_check_at
                return "timer", None
            due = frozenset(a for a, leg in state.queued.items() if leg.retry_at <= now)
            if due:
                return "requeue", due
        elif self._force is not None:
            workflow.logger.info("force ignored: account is paused")
            self._force = None
        # Pause and resume show in the UI's search attributes without waiting for a cycle.
        # Histories recorded before this change did not upsert here: patched keeps them valid.
        if workflow.patched("publish-while-waiting"):
            self._publish()
        timeout, summary = self._next_wake(now)
        self._wake = False
        # A timeout is the timer firing: the loop then finds what is due.
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._wake or self._should_continue_as_new(),
                timeout=timeout,
                timeout_summary=summary,
            )
        return None

    def _next_wake(self, now: datetime) -> tuple[timedelta | None, str]:
        state = self._state
        if state.paused:
            return None, "paused"
        wakes: list[tuple[datetime, str]] = []
        if state.next_check_at is not None:
            wakes.append((state.next_check_at, "next drift check"))
        for asset, leg in sorted(state.queued.items()):
            wakes.append((leg.retry_at, f"queued {leg.side} {asset}: {leg.reason}"[:200]))
        if not wakes:
            return None, "idle"
        moment, summary = min(wakes, key=lambda item: item[0])
        return max(moment - now, timedelta(0)), summary

    # One cycle --------------------------------------------------------------------------

    async def _run_cycle(self, trigger: str, only: frozenset[str] | None) -> None:
        state = self._state
        config = state.config
        state.cycle += 1
        cycle = state.cycle
        account = AccountRef(account_id=config.account_id, venue=config.venue)
        summary = CycleSummary(
            cycle=cycle, trigger=trigger, started_at=workflow.now(), lag_ms=self._lag_ms(trigger)
        )
        self._activity = "trading"
        # A check that trades nothing should cost no search-attribute writes: publish the
        # trading state only once orders are about to go out (and drift at 0.1% resolution).
        self._quiet = workflow.patched("quiet-checks")
        if not self._quiet:
            self._publish()
        plan: Plan | None = None
        self._planned = []
        placed: list[VenueOrder] = []
        queued: dict[str, Hold] = {}
        considered: set[str] = set(only) if only is not None else set(config.targets)
        try:
            if state.needs_reconcile:
                await steps.reconcile(
                    ReconcileRequest(
                        account=account,
                        cycle=cycle,
                        symbols=self._symbols(),
                        cancel_stale=True,
                    )
                )
                state.needs_reconcile = False
            sampling = trigger in SAMPLING_TRIGGERS
            detected = await self._detect(account, cycle, trigger, sampling)
            plan = decide(detected.snapshot, detected.report)
            summary = summary.model_copy(
                update={
                    "equity": plan.equity,
                    "max_abs_drift": detected.report.max_abs_drift,
                    "verdicts": {a.asset: a.verdict for a in plan.assets if a.asset in considered},
                }
            )
            mids = {
                f"{a.asset}/{config.quote}": a.price
                for a in detected.report.assets
                if a.asset != config.quote
            }
            sells = [o for o in plan.orders if o.side == "sell" and o.asset in considered]
            buys = [o for o in plan.orders if o.side == "buy" and o.asset in considered]
            for row in plan.assets:
                if row.asset in considered and row.verdict == "queue" and row.side is not None:
                    queued[row.asset] = (row.side, row.reason, False)
            if sells or buys:
                state.needs_reconcile = True
                if self._quiet:
                    self._publish()
            for order in sells:
                sliced = plan.of(order.asset).verdict == "slice"
                await self._execute_leg(account, cycle, order, sliced, detected, placed, queued)
            if buys and sells:
                # Buys are sized on the cash the sells actually raised, not on a forecast.
                detected = await self._detect(account, cycle, trigger, sampling=False)
                plan = decide(detected.snapshot, detected.report)
                buys = [o for o in plan.orders if o.side == "buy" and o.asset in considered]
                kept = buys_after_sells(plan.orders, considered, {o.asset for o in sells})
                # Asked only when a re-plan would buy back what the cycle sold, which before
                # this rule wedged the cycle on a client order id taken by the sell.
                if len(kept) < len(buys) and workflow.patched("one-side-per-leg"):
                    buys = kept
            for order in buys:
                sliced = plan.of(order.asset).verdict == "slice"
                await self._execute_leg(account, cycle, order, sliced, detected, placed, queued)
            if placed:
                result = await steps.reconcile(
                    ReconcileRequest(
                        account=account,
                        cycle=cycle,
                        symbols=tuple(sorted({o.symbol for o in placed})),
                        since=summary.started_at,
                        decision_mids=mids,
                        record_balances=True,
                        observed_at=workflow.now(),
                        slippage_budget_bps=config.policy.slippage_budget_bps,
                    )
                )
                summary = summary.model_copy(update={"realised_cost": result.realised_cost})
            state.needs_reconcile = False
            predicted = sum(
                (o.predicted_cost.total for o in self._planned if o.predicted_cost is not None),
                ZERO,
            )
            summary = summary.model_copy(
                update={
                    "status": "completed",
                    "orders_placed": len(placed),
                    "orders_filled": sum(1 for o in placed if o.filled > 0),
                    "predicted_cost": predicted if placed else None,
                }
            )
        except ActivityError as error:
            workflow.logger.warning("cycle %s failed: %s", cycle, _cause(error))
            summary = summary.model_copy(
                update={
                    "status": "failed",
                    "note": _cause(error)[:500],
                    "orders_placed": len(placed),
                }
            )
        self._requeue(considered, queued)
        summary = summary.model_copy(
            update={"ended_at": workflow.now(), "legs_queued": len(state.queued)}
        )
        if trigger in SAMPLING_TRIGGERS:
            interval = timedelta(seconds=config.policy.check_interval_seconds)
            state.next_check_at = summary.started_at + interval
            if state.cycle == 1:
                state.next_check_at += self._spread_offset()
        state.last_cycle = summary
        self._count("cycles")
        self._count("orders_placed", len(placed))
        self._count("orders_filled", sum(1 for o in placed if o.filled > 0))
        self._activity = "idle"
        try:
            await steps.record_cycle(CycleRecord(account=account, summary=summary, plan=plan))
        except ActivityError as error:
            workflow.logger.warning("cycle %s not recorded: %s", cycle, _cause(error))
        self._publish()

    async def _detect(
        self, account: AccountRef, cycle: int, trigger: str, sampling: bool
    ) -> DetectResult:
        state = self._state
        config = state.config
        detected = await steps.detect_drift(
            DetectRequest(
                account=account,
                cycle=cycle,
                trigger=trigger,
                quote=config.quote,
                targets=dict(config.targets),
                policy=config.policy,
                history=dict(state.history),
                volatility=dict(state.volatility),
                record_sample=sampling,
            ),
            cycle,
        )
        if sampling:
            state.history = dict(detected.report.history)
            self._update_volatility(detected)
        state.last_drift = {row.asset: row.drift for row in detected.report.assets}
        return detected

    def _update_volatility(self, detected: DetectResult) -> None:
        state = self._state
        now = detected.observed_at
        half_life = state.config.policy.volatility_half_life_hours * 3600
        mids = {r.asset: r.price for r in detected.report.assets if r.asset != state.config.quote}
        if state.last_mids_at is not None:
            elapsed = Decimal((now - state.last_mids_at).total_seconds()).quantize(Decimal("0.001"))
            for asset, mid in mids.items():
                previous_price = state.last_mids.get(asset)
                if previous_price is None:
                    continue
                previous = state.volatility.get(asset, state.config.policy.default_volatility)
                state.volatility[asset] = update_volatility(
                    previous, previous_price, mid, elapsed, half_life
                )
        state.last_mids = mids
        state.last_mids_at = now

    async def _execute_leg(
        self,
        account: AccountRef,
        cycle: int,
        planned: PlannedOrder,
        sliced: bool,
        detected: DetectResult,
        placed: list[VenueOrder],
        queued: dict[str, Hold],
    ) -> None:
        """Work one leg for this cycle by the domain's execution rule (passive, then
        marketable within budget; slices and unfilled remainders held on a timer).

        Every order gets its own deterministic client id (account, cycle, leg, slice).
        """
        policy = self._state.config.policy
        rules: MarketRules = detected.snapshot.markets[planned.symbol]
        leg = start_leg(planned.amount, planned.style, sliced)
        while True:
            if self._state.paused:
                queued[planned.asset] = (planned.side, "paused mid-cycle", leg.progressed)
                return
            assessed = await steps.assess_liquidity(
                AssessRequest(
                    account=account,
                    asset=planned.asset,
                    side=planned.side,
                    quantity=leg.remaining,
                    rules=rules,
                    policy=policy,
                    style=leg.style,
                    slice_number=leg.slice_number,
                )
            )
            order = assessed.order
            if order is None:
                queued[planned.asset] = (planned.side, assessed.assessment.reason, leg.progressed)
                return
            self._planned.append(order)
            client_id = client_order_id(account.account_id, cycle, planned.asset, leg.slice_number)
            try:
                await steps.place_limit_order(
                    PlaceRequest(
                        account=account,
                        cycle=cycle,
                        client_order_id=client_id,
                        order=order,
                        detect_started_at=detected.started_at,
                    )
                )
            except ActivityError as error:
                if _error_type(error) in steps.FINAL_ERRORS:
                    workflow.logger.warning("order %s refused: %s", client_id, _cause(error))
                    return
                raise
            outcome = await steps.await_fill(
                AwaitFillRequest(
                    account=account,
                    cycle=cycle,
                    symbol=order.symbol,
                    client_order_id=client_id,
                    timeout_seconds=policy.fill_timeout_seconds,
                    detect_started_at=detected.started_at,
                )
            )
            if not outcome.is_final:
                outcome = await steps.cancel_order(
                    CancelRequest(
                        account=account, cycle=cycle, symbol=order.symbol, client_order_id=client_id
                    )
                )
            placed.append(outcome)
            step = after_order(
                leg, order.amount, outcome.filled, assessed.assessment.verdict, policy
            )
            leg = step.state
            if step.action == "done":
                queued.pop(planned.asset, None)
                return
            if step.action == "hold":
                queued[planned.asset] = (planned.side, step.reason, leg.progressed)
                return

    def _requeue(self, considered: set[str], queued: dict[str, Hold]) -> None:
        state = self._state
        state.queued = requeue(
            state.queued, considered, queued, workflow.now(), state.config.policy
        )
        self._count("legs_queued", sum(1 for a in considered if a in queued))

    # Visibility -------------------------------------------------------------------------

    def _spread_offset(self) -> timedelta:
        """Spread accounts over their check interval instead of all at once.

        A fleet started together would otherwise check in lockstep, every account in the same
        second of every interval. After its first check (which runs at once), an account's
        schedule shifts by a hash of its id: deterministic, and the same on every replay.
        """
        if not workflow.patched("spread-first-check"):
            return timedelta(0)
        interval = self._state.config.policy.check_interval_seconds
        digest = hashlib.sha256(self._state.config.account_id.encode()).digest()
        return timedelta(milliseconds=int.from_bytes(digest[:8], "big") % (interval * 1000))

    def _lag_ms(self, trigger: str) -> int | None:
        """How late a timer check starts against its schedule (the scale benchmark's lag)."""
        if trigger != "timer" or self._scheduled_at is None:
            return None
        return int((workflow.now() - self._scheduled_at).total_seconds() * 1000)

    def _symbols(self) -> tuple[str, ...]:
        config = self._state.config
        return tuple(sorted(f"{a}/{config.quote}" for a in config.targets if a != config.quote))

    def _public_state(self) -> str:
        # A cycle in flight reads "trading" even once paused: operators waiting for a quiet
        # account (and the demo's audit) must not see "paused" while an order is still open.
        if self._activity == "trading":
            return "trading"
        if self._state.paused:
            return "paused"
        return "waiting" if self._state.queued else "idle"

    def _count(self, name: str, amount: int = 1) -> None:
        totals = self._state.totals
        totals[name] = totals.get(name, 0) + amount

    def _publish(self) -> None:
        """Search attributes and current details for the Temporal UI, only when changed."""
        state = self._state
        drift = max((abs(d) for d in state.last_drift.values()), default=ZERO)
        # Search attributes are display values for filtering; decisions never read them.
        current = (self._public_state(), float(round(drift, 3 if self._quiet else 6)))
        if current == self._published:
            return
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.STATE.value_set(current[0]),
            sa.MAX_DRIFT.value_set(current[1]),
        ]
        if self._published is None:
            updates.append(sa.ACCOUNT.value_set(state.config.account_id))
        workflow.upsert_search_attributes(updates)
        self._published = current
        last = state.last_cycle
        details = [
            f"**{state.config.account_id}** on {state.config.venue}: {current[0]}",
            f"cycle {state.cycle}, max |drift| {round(drift, 6)}",
        ]
        if last is not None:
            details.append(
                f"last cycle {last.cycle} ({last.trigger}): {last.status}, "
                f"{last.orders_placed} orders, {last.orders_filled} filled"
            )
        for asset, leg in sorted(state.queued.items()):
            details.append(f"queued {leg.side} {asset} until {leg.retry_at:%H:%M:%S}: {leg.reason}")
        workflow.set_current_details("\n\n".join(details))


def _cause(error: BaseException) -> str:
    while error.__cause__ is not None:
        error = error.__cause__
    return str(error)


def _error_type(error: ActivityError) -> str | None:
    cause = error.cause
    return cause.type if isinstance(cause, ApplicationError) else None


def _first_error(error: ValueError) -> str:
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        first = error.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        return f"{path}: {first['msg'].removeprefix('Value error, ')}"
    return str(error)
