"""AccountWorkflow: one durable workflow per account (id ``account-<id>``).

The trading cycle itself is ``rebalancer.cycle.trading_cycle`` (the backtest runs the same
code); this workflow hosts it: it decides when a cycle runs (the check timer, held legs'
timers, operators' signals and updates), gives it activities as its port
(``workflows.activity_port``), keeps its state durable across continue-as-new, and shows it
in the Temporal UI (search attributes, details). This module does no I/O.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime, timedelta
from typing import Any, Literal

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.activity_port import ActivityPort
from workflows.retry_policies import ORDER_RETRY, REGISTER_RETRY

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from activities import RecordCycle, RegisterAccount
    from rebalancer.cycle.port import CycleTrigger
    from rebalancer.cycle.trading_cycle import (
        CycleMemory,
        CycleProgress,
        TradingCycle,
        samples_drift,
    )
    from rebalancer.domain.execution import hold_seconds
    from rebalancer.domain.no_trade import NoTradeRegion, region_after
    from rebalancer.domain.numbers import ZERO
    from rebalancer.domain.snapshot_json import describe
    from rebalancer.domain.tracking import opened, retarget
    from rebalancer.pipeline import search_attributes as sa
    from rebalancer.pipeline.messages import (
        AccountConfig,
        AccountStatus,
        CycleRecord,
        CycleSummary,
        ForceRequest,
        PolicyUpdate,
        RegisterRequest,
        TargetsUpdate,
        WakeRequest,
    )
    from rebalancer.pipeline.state import AccountState, AccountWorkflowInput

HISTORY_EVENTS_LIMIT = 8_000
ATTENTION_GAUGE = "rebalance_account_needs_attention"
# How a step's failure reaches the workflow: an activity's as ActivityError, a local
# activity's (the reads, the cycle record) as the ApplicationError it raised.
STEP_FAILURES = (ActivityError, ApplicationError)


@workflow.defn(name="AccountWorkflow")
class AccountWorkflow:
    @workflow.init
    def __init__(self, request: AccountWorkflowInput) -> None:
        self._state = request.state or AccountState(
            config=request.config,
            memory=CycleMemory(tracking=opened(request.config.targets, request.config.quote)),
        )
        self._force: ForceRequest | None = None
        # The fleet watcher's latest call, until a cycle answers it.
        self._watched: WakeRequest | None = None
        self._wake = False
        self._activity = "idle"
        self._published: tuple[str, float] | None = None
        # For alerting (deploy/alerts.yml): 1 while the account needs attention. The SDK
        # exports it with the worker's metrics and never emits it during replay.
        self._attention_gauge = workflow.metric_meter().create_gauge(
            ATTENTION_GAUGE, "1 while the account needs attention, else 0"
        )

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

    @workflow.signal
    def wake(self, request: WakeRequest) -> None:
        """The venue's fleet watcher saw this account's drift leave its no-trade region. A
        paused account does not trade; the watcher calls again after resume if it must."""
        if self._state.paused:
            return
        self._watched = request
        self._wake = True

    @workflow.update
    def set_targets(self, update: TargetsUpdate) -> AccountStatus:
        state = self._state
        config = self._with_targets(update)
        # The drift history is re-based on the new targets (no step read as a trend), and the
        # change is an instruction the next cycles carry out.
        tracking = retarget(
            state.memory.tracking, state.config.targets, config.targets, config.quote
        )
        state.memory = state.memory.model_copy(update={"tracking": tracking})
        # New targets deserve a check now, not at the next tick.
        self._force = ForceRequest(reason="targets changed", trigger="force")
        return self._reconfigure(config)

    @set_targets.validator
    def _validate_targets(self, update: TargetsUpdate) -> None:
        self._with_targets(update)

    @workflow.update
    def set_policy(self, update: PolicyUpdate) -> AccountStatus:
        return self._reconfigure(self._with_policy(update))

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
            cycle=state.memory.cycle,
            targets=dict(state.config.targets),
            policy=state.config.policy,
            next_check_at=state.next_check_at,
            queued=tuple(state.memory.queued.values()),
            drift=dict(state.last_drift),
            last_cycle=state.last_cycle,
            totals=dict(state.totals),
            instructed=tuple(sorted(state.memory.tracking.instructed)),
            attention=state.attention,
        )

    def _reconfigure(self, config: AccountConfig) -> AccountStatus:
        """Adopt a validated config; the loop wakes to act on it, and the caller is answered
        with the status under it."""
        self._state.config = config
        self._wake = True
        return self.status()

    def _with_targets(self, update: TargetsUpdate) -> AccountConfig:
        # Assets may be added; detect refuses one the venue has no market for.
        return self._with("targets", dict(update.targets))

    def _with_policy(self, update: PolicyUpdate) -> AccountConfig:
        return self._with(
            "policy", {**self._state.config.policy.model_dump(mode="json"), **update.policy}
        )

    def _with(self, field: Literal["targets", "policy"], value: dict[str, Any]) -> AccountConfig:
        """The config with ``field`` replaced, validated whole: a bad value is refused with
        its field and rule, and nothing changes."""
        config = self._state.config
        try:
            return AccountConfig.model_validate({**config.model_dump(mode="json"), field: value})
        except ValueError as error:
            problem = describe(error) if isinstance(error, ValidationError) else error
            raise ApplicationError(
                f"{field} rejected: {problem}", type="InvalidInput", non_retryable=True
            ) from None

    # Main loop --------------------------------------------------------------------------

    @workflow.run
    async def run(self, request: AccountWorkflowInput) -> None:
        state = self._state
        while not state.registered:
            try:
                await workflow.execute_activity_method(
                    RegisterAccount.run,
                    RegisterRequest(config=state.config, registered_at=workflow.now()),
                    start_to_close_timeout=timedelta(seconds=20),
                    retry_policy=REGISTER_RETRY,
                    summary=f"register {state.config.account_id} on {state.config.venue}",
                )
            except STEP_FAILURES as error:
                await self._needs_attention(f"registration: {_cause(error)}")
                continue
            state.registered = True
            state.next_check_at = workflow.now()
            self._attended()
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

    @workflow.update
    async def await_registration(self) -> AccountStatus:
        """Returns once the account is registered; fails with the cause when it needs
        attention first (``account add`` waits on this to fail fast, in one line)."""
        state = self._state
        await workflow.wait_condition(lambda: state.registered or state.attention is not None)
        if not state.registered:
            raise ApplicationError(
                f"needs attention: {state.attention}", type="NeedsAttention", non_retryable=True
            )
        return self.status()

    async def _needs_attention(self, cause: str) -> None:
        """Hold on a durable timer (backing off) until a retry is due, or an operator's
        signal or update wakes the account: a fixable problem never ends the workflow."""
        state = self._state
        delay = self._attention(cause)
        workflow.logger.warning("needs attention: %s", state.attention)
        self._publish()
        self._wake = False
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._wake,
                timeout=delay,
                timeout_summary=f"needs attention, retry: {state.attention}"[:200],
            )

    def _attention(self, cause: str) -> timedelta:
        """Record the cause; the delay before the next try (one more in a row, backing off)."""
        state = self._state
        state.attention = cause[:500]
        state.attention_attempts += 1
        return timedelta(seconds=hold_seconds(state.attention_attempts, state.config.policy))

    def _attended(self) -> None:
        self._state.attention = None
        self._state.attention_attempts = 0

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > HISTORY_EVENTS_LIMIT
        )

    async def _wait_for_work(self) -> tuple[CycleTrigger, frozenset[str] | None] | None:
        state = self._state
        now = workflow.now()
        if not state.paused:
            if self._force is not None:
                trigger = self._force.trigger
                self._force = None
                self._watched = None
                return trigger, None
            if self._watched is not None:
                self._watched = None
                return "watch", None
            if state.next_check_at is None or state.next_check_at <= now:
                return "timer", None
            due = frozenset(a for a, leg in state.memory.queued.items() if leg.retry_at <= now)
            if due:
                return "requeue", due
        elif self._force is not None or self._watched is not None:
            workflow.logger.info("force ignored: account is paused")
            self._force = self._watched = None
        # Pause and resume show in the UI's search attributes without waiting for a cycle.
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
        for asset, leg in sorted(state.memory.queued.items()):
            wakes.append((leg.retry_at, f"queued {leg.side} {asset}: {leg.reason}"[:200]))
        if not wakes:
            return None, "idle"
        moment, summary = min(wakes, key=lambda item: item[0])
        return max(moment - now, timedelta(0)), summary

    # One cycle --------------------------------------------------------------------------

    async def _run_cycle(self, trigger: CycleTrigger, only: frozenset[str] | None) -> None:
        state = self._state
        config = state.config
        account = config.ref()
        self._activity = "trading"
        port = ActivityPort(account, config.policy, lambda: self._state.paused, self._trading)
        cycle = TradingCycle(port, config.mandate(), state.memory, trigger, only)
        status: Literal["completed", "failed"] = "completed"
        note = ""
        try:
            await cycle.run()
        except STEP_FAILURES as error:
            workflow.logger.warning("cycle %s failed: %s", cycle.number, _cause(error))
            status, note = "failed", _cause(error)[:500]
        progress = cycle.finish()
        state.memory = progress.memory
        if progress.report is not None:
            state.last_drift = {row.asset: row.drift for row in progress.report.assets}
        if progress.unpriced:
            unpriced = f"held without a market: {', '.join(progress.unpriced)}"
            note = f"{note}; {unpriced}" if note else unpriced
        summary = self._summary(trigger, progress, status, note)
        if samples_drift(trigger):
            interval = timedelta(seconds=config.check_seconds)
            state.next_check_at = summary.started_at + interval
            if state.memory.cycle == 1:
                state.next_check_at += self._spread_offset()
        if status == "failed":
            # The cause (venue down, a key revoked, a market gone) shows, and the account
            # looks again on a backoff no longer than its own check interval.
            soonest = workflow.now() + self._attention(note or "cycle failed")
            if state.next_check_at is None or soonest < state.next_check_at:
                state.next_check_at = soonest
        elif progress.decided:
            self._attended()
        state.last_cycle = summary
        self._count("cycles")
        self._count("orders_placed", progress.orders_placed)
        self._count("orders_filled", progress.orders_filled)
        self._count("legs_queued", sum(1 for a in progress.considered if a in progress.holds))
        self._activity = "idle"
        try:
            # One idempotent ledger write: run in the worker, like the reads.
            await workflow.execute_local_activity_method(
                RecordCycle.run,
                CycleRecord(
                    account=account,
                    summary=summary,
                    plan=progress.plan,
                    watch=self._watch_order(progress),
                ),
                start_to_close_timeout=timedelta(seconds=15),
                retry_policy=ORDER_RETRY,
                summary=f"record cycle {summary.cycle} ({summary.status})",
            )
        except STEP_FAILURES as error:
            workflow.logger.warning("cycle %s not recorded: %s", cycle.number, _cause(error))
        self._publish()

    def _watch_order(self, progress: CycleProgress) -> NoTradeRegion | None:
        """What the fleet watcher screens this account by until its next cycle: the region
        of the decision just made (a failed look leaves the last one standing)."""
        snapshot, plan = progress.snapshot, progress.plan
        if not self._state.config.watched or snapshot is None or plan is None:
            return None
        return region_after(snapshot, plan)

    async def _trading(self) -> None:
        # A check that trades nothing costs no search-attribute writes: the trading state is
        # published only once orders are about to go out. It goes out in the task that
        # schedules the first order, though that delays the order by the visibility write
        # (2.7 ms, docs/performance.md): placements retry without limit, and an account stuck
        # on its first one must show "trading" to the runbook's filter (docs/operations.md).
        self._publish()

    def _summary(
        self,
        trigger: CycleTrigger,
        progress: CycleProgress,
        status: Literal["completed", "failed"],
        note: str,
    ) -> CycleSummary:
        plan, report = progress.plan, progress.report
        return CycleSummary.model_validate(
            {
                "cycle": progress.number,
                "trigger": trigger,
                "started_at": progress.started_at,
                "ended_at": workflow.now(),
                "status": status,
                "note": note,
                "equity": plan.equity if plan is not None else None,
                "max_abs_drift": report.max_abs_drift if report is not None else None,
                "verdicts": {
                    a.asset: a.verdict
                    for a in (plan.assets if plan is not None else ())
                    if a.asset in progress.considered
                },
                "orders_placed": progress.orders_placed,
                "orders_filled": progress.orders_filled,
                "predicted_cost": progress.predicted_cost,
                "realised_cost": progress.realised_cost,
                "legs_queued": len(progress.queued),
            }
        )

    # Visibility -------------------------------------------------------------------------

    def _spread_offset(self) -> timedelta:
        """Spread accounts over their check interval instead of all at once.

        A fleet started together would otherwise check in lockstep, every account in the same
        second of every interval. After its first check (which runs at once), an account's
        schedule shifts by a hash of its id: deterministic, and the same on every replay.
        """
        interval = self._state.config.check_seconds
        digest = hashlib.sha256(self._state.config.account_id.encode()).digest()
        return timedelta(milliseconds=int.from_bytes(digest[:8], "big") % (interval * 1000))

    def _public_state(self) -> str:
        if self._activity != "trading" and self._state.attention is not None:
            return "needs_attention"
        return self._running_state()

    def _running_state(self) -> str:
        # A cycle in flight reads "trading" even once paused: operators waiting for a quiet
        # account (and the demo's audit) must not see "paused" while an order is still open.
        if self._activity == "trading":
            return "trading"
        if self._state.paused:
            return "paused"
        return "waiting" if self._state.memory.queued else "idle"

    def _count(self, name: str, amount: int = 1) -> None:
        totals = self._state.totals
        totals[name] = totals.get(name, 0) + amount

    def _publish(self) -> None:
        """Search attributes and current details for the Temporal UI, only when changed."""
        state = self._state
        drift = max((abs(d) for d in state.last_drift.values()), default=ZERO)
        # Search attributes are display values for filtering; decisions never read them.
        # At 0.1% resolution: finer would write an attribute on every check that trades nothing.
        current = (self._public_state(), float(round(drift, 3)))
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
        self._attention_gauge.set(
            int(state.attention is not None), {"account": state.config.account_id}
        )
        last = state.last_cycle
        details = [
            f"**{state.config.account_id}** on {state.config.venue}: {current[0]}",
            f"cycle {state.memory.cycle}, max |drift| {round(drift, 6)}",
        ]
        if state.attention is not None:
            details.append(f"needs attention: {state.attention}")
        if last is not None:
            details.append(
                f"last cycle {last.cycle} ({last.trigger}): {last.status}, "
                f"{last.orders_placed} orders, {last.orders_filled} filled"
            )
        for asset, leg in sorted(state.memory.queued.items()):
            details.append(f"queued {leg.side} {asset} until {leg.retry_at:%H:%M:%S}: {leg.reason}")
        workflow.set_current_details("\n\n".join(details))


def _cause(error: BaseException) -> str:
    while error.__cause__ is not None:
        error = error.__cause__
    return str(error)
