"""``cost_aware``: the live account workflow's cycle, replayed in process.

This mirrors ``workflows/account.py`` step by step, with the activities replaced by direct
calls on the desk: detect drift (books, balances, the drift history and volatility kept
here as the workflow keeps them) -> ``decide`` -> per leg, sells first: ``plan_order`` on a
fresh book -> place -> wait ``fill_timeout_seconds`` -> cancel and re-place a passive
remainder as marketable within the slippage budget -> buys re-planned on the balances the
sells left -> queued and sliced legs retried on the same backoff. The decision is always
``rebalancer.domain.decide.decide`` and the execution rule ``rebalancer.domain.execution``;
this module has no rule of its own.

Two shortcuts, exactly equivalent: when every asset's drift is inside the no-trade band,
``decide`` skips every leg at its first step, so the check records the drift sample and
stops without building the books; otherwise only the assets outside the band get a book,
because ``decide`` never reads the book of a leg it skipped at the band
(``tests/backtest/test_cost_aware.py`` checks both against ``decide``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from rebalancer.backtest.desk import ACCOUNT_ID, Desk
from rebalancer.domain.decide import Plan, assets_needing_books, decide, settled_by_band
from rebalancer.domain.drift import DriftReport, compute_drift
from rebalancer.domain.execution import (
    Hold,
    QueuedLeg,
    after_order,
    buys_after_sells,
    requeue,
    start_leg,
)
from rebalancer.domain.market import OrderBook
from rebalancer.domain.orders import PlannedOrder, client_order_id
from rebalancer.domain.placement import plan_order
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.snapshot import Snapshot
from rebalancer.domain.volatility import update_volatility
from rebalancer.paper.orders import OrderRequest
from rebalancer.venue.binance_weights import book_limit


@dataclass
class Detected:
    """What detect-drift returns: the snapshot (books filled in only when needed)."""

    snapshot: Snapshot
    report: DriftReport
    observed_at: datetime


class CostAware:
    name = "cost_aware"

    def __init__(
        self, targets: dict[str, Decimal], quote: str, policy: PolicySettings, start: datetime
    ) -> None:
        self.targets = dict(targets)
        self.quote = quote
        self.policy = policy
        self.next_check_at = start
        self.cycle = 0
        self.history: dict[str, tuple[Decimal, ...]] = {}
        self.volatility: dict[str, Decimal] = {}
        self.last_mids: dict[str, Decimal] = {}
        self.last_mids_at: datetime | None = None
        self.queued: dict[str, QueuedLeg] = {}
        # How often the rule ran in full, and how often the band settled it first.
        self.decisions = 0
        self.inside_band = 0

    # ------------------------------------------------------------ scheduling

    def next_wake(self) -> datetime:
        wakes = [self.next_check_at, *(leg.retry_at for leg in self.queued.values())]
        return min(wakes)

    def run(self, desk: Desk) -> None:
        """One cycle at the desk's clock: the regular check if due, else the due legs."""
        now = desk.clock
        if self.next_check_at <= now:
            self._run_cycle(desk, "timer", None)
            return
        due = frozenset(a for a, leg in self.queued.items() if leg.retry_at <= now)
        if due:
            self._run_cycle(desk, "requeue", due)

    # ----------------------------------------------------------------- cycle

    def _run_cycle(self, desk: Desk, trigger: str, only: frozenset[str] | None) -> None:
        self.cycle += 1
        started = desk.clock
        considered = set(only) if only is not None else set(self.targets)
        queued: dict[str, Hold] = {}
        sampling = trigger == "timer"
        detected = self._detect(desk, sampling)
        # Costs are measured against the mids of the decision, as the ledger's realised cost
        # is (the workflow passes ``decision_mids`` to its closing reconcile).
        mids = {asset: desk.mid(asset) for asset in desk.assets}
        plan = self._decide(desk, detected)
        if plan is not None:
            sells = [o for o in plan.orders if o.side == "sell" and o.asset in considered]
            buys = [o for o in plan.orders if o.side == "buy" and o.asset in considered]
            for row in plan.assets:
                if row.asset in considered and row.verdict == "queue" and row.side is not None:
                    queued[row.asset] = (row.side, row.reason, False)
            for order in sells:
                sliced = plan.of(order.asset).verdict == "slice"
                self._execute_leg(desk, order, sliced, detected, mids, started, queued)
            if buys and sells:
                # Buys are sized on the cash the sells actually raised, not on a forecast.
                detected = self._detect(desk, sampling=False)
                replanned = self._decide(desk, detected)
                buys = (
                    []
                    if replanned is None
                    else buys_after_sells(replanned.orders, considered, {o.asset for o in sells})
                )
                plan = replanned or plan
            for order in buys:
                sliced = plan.of(order.asset).verdict == "slice"
                self._execute_leg(desk, order, sliced, detected, mids, started, queued)
        self._requeue(desk.clock, considered, queued)
        if sampling:
            self.next_check_at = started + timedelta(seconds=self.policy.check_interval_seconds)

    def _detect(self, desk: Desk, sampling: bool) -> Detected:
        desk.advance(desk.clock)
        snapshot = desk.snapshot(
            self.targets, history=self.history, volatility=self.volatility, policy=self.policy
        )
        report = compute_drift(snapshot)
        detected = Detected(snapshot, report, desk.clock)
        if sampling:
            self.history = dict(report.history)
            self._update_volatility(detected)
        return detected

    def _decide(self, desk: Desk, detected: Detected) -> Plan | None:
        """``decide`` on the snapshot with books; None when the band alone settles it."""
        if settled_by_band(detected.report, self.policy, self.quote):
            self.inside_band += 1
            return None
        self.decisions += 1
        depth = book_limit(self.policy.depth_levels)
        books: dict[str, OrderBook] = {
            desk.symbol(a): desk.book(a, depth)
            for a in assets_needing_books(detected.report, self.policy, self.quote)
        }
        snapshot = detected.snapshot.model_copy(update={"books": books})
        return decide(snapshot, detected.report)

    def _update_volatility(self, detected: Detected) -> None:
        now = detected.observed_at
        half_life = self.policy.volatility_half_life_hours * 3600
        mids = {r.asset: r.price for r in detected.report.assets if r.asset != self.quote}
        if self.last_mids_at is not None:
            elapsed = Decimal((now - self.last_mids_at).total_seconds()).quantize(Decimal("0.001"))
            for asset, mid in mids.items():
                previous_price = self.last_mids.get(asset)
                if previous_price is None:
                    continue
                previous = self.volatility.get(asset, self.policy.default_volatility)
                self.volatility[asset] = update_volatility(
                    previous, previous_price, mid, elapsed, half_life
                )
        self.last_mids = mids
        self.last_mids_at = now

    def _execute_leg(
        self,
        desk: Desk,
        planned: PlannedOrder,
        sliced: bool,
        detected: Detected,
        mids: dict[str, Decimal],
        decided_at: datetime,
        queued: dict[str, Hold],
    ) -> None:
        """Work one leg by the domain's execution rule, as the workflow does."""
        policy = self.policy
        rules = detected.snapshot.markets[planned.symbol]
        depth = book_limit(policy.depth_levels)
        leg = start_leg(planned.amount, planned.style, sliced)
        while True:
            book = desk.book(planned.asset, depth)
            assessment, order = plan_order(
                planned.asset,
                book,
                planned.side,
                leg.remaining,
                rules,
                policy,
                leg.style,
                leg.slice_number,
            )
            if order is None:
                queued[planned.asset] = (planned.side, assessment.reason, leg.progressed)
                return
            client_id = client_order_id(ACCOUNT_ID, self.cycle, planned.asset, leg.slice_number)
            placed = desk.place(_limit_request(order, client_id), mids[planned.asset], decided_at)
            if placed is None:
                return
            if placed.is_open:
                desk.advance(desk.clock + timedelta(seconds=policy.fill_timeout_seconds))
                desk.cancel(placed)
            step = after_order(
                leg, order.amount, placed.executed_quantity, assessment.verdict, policy
            )
            leg = step.state
            if step.action == "done":
                queued.pop(planned.asset, None)
                return
            if step.action == "hold":
                queued[planned.asset] = (planned.side, step.reason, leg.progressed)
                return

    def _requeue(self, now: datetime, considered: set[str], queued: dict[str, Hold]) -> None:
        self.queued = requeue(self.queued, considered, queued, now, self.policy)


def _limit_request(order: PlannedOrder, client_id: str) -> OrderRequest:
    return OrderRequest(
        order.symbol,
        order.side,
        "limit",
        quantity=order.amount,
        price=order.price,
        client_order_id=client_id,
    )
