"""Inputs and outputs of the account workflow's activities and handlers."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from rebalancer.cycle.port import Closing, CycleTrigger, LegOrder, Look
from rebalancer.cycle.trading_cycle import Mandate
from rebalancer.domain.decide import Plan
from rebalancer.domain.execution import QueuedLeg
from rebalancer.domain.liquidity import LiquidityAssessment, Verdict
from rebalancer.domain.market import Frozen
from rebalancer.domain.no_trade import NoTradeRegion
from rebalancer.domain.numbers import Dec
from rebalancer.domain.orders import PlannedOrder
from rebalancer.domain.policy_settings import MAX_CHECK_SECONDS, PolicySettings
from rebalancer.domain.snapshot import ASSET_PATTERN, Targets, validate_targets
from rebalancer.venue.models import VenueOrder, VenueTrade

ACCOUNT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,47}$"
VENUE_PATTERN = r"^[a-z0-9]{2,32}$"


class AccountConfig(Frozen):
    """What an operator sets: where the account trades and what it should hold."""

    account_id: str = Field(pattern=ACCOUNT_ID_PATTERN)
    venue: str = Field(pattern=VENUE_PATTERN)
    quote: str = Field(default="USDT", pattern=ASSET_PATTERN)
    targets: Targets
    policy: PolicySettings = Field(default_factory=PolicySettings)
    # Watched by the venue's fleet watcher (``rebalancer.watch``), which wakes the account
    # when its drift leaves the no-trade region; the account's own timer is then only a
    # safety check, every ``safety_check_seconds``. Unwatched, it checks every
    # ``policy.check_interval_seconds``.
    watched: bool = True
    safety_check_seconds: int = Field(default=172_800, ge=1, le=MAX_CHECK_SECONDS)

    @model_validator(mode="after")
    def _targets_sum_to_one(self) -> AccountConfig:
        validate_targets(dict(self.targets), self.quote)
        return self

    def mandate(self) -> Mandate:
        return Mandate(
            account_id=self.account_id, quote=self.quote, targets=self.targets, policy=self.policy
        )

    def ref(self) -> AccountRef:
        return AccountRef(account_id=self.account_id, venue=self.venue)

    @property
    def check_seconds(self) -> int:
        """Seconds between the account's own timer checks."""
        return self.safety_check_seconds if self.watched else self.policy.check_interval_seconds


class TargetsUpdate(Frozen):
    """New weights, quote included, summing to 1.

    Carried loosely typed on purpose: the workflow's update validator checks them, so a bad
    value is rejected with its field and rule instead of an opaque decoding failure.
    """

    targets: dict[str, Any]


class PolicyUpdate(Frozen):
    """Policy settings to change; unnamed settings keep their current values."""

    policy: dict[str, Any]


class WakeRequest(Frozen):
    """The fleet watcher's call: the account's drift left its no-trade region at ``seen_at``
    (the prices the watcher screened were read then)."""

    seen_at: AwareDatetime
    reason: str = Field(default="drift past the band", max_length=200)


class WatchVenueRequest(Frozen):
    """One run of a venue's fleet watcher (``rebalancer.watch``): how long, and its pace."""

    venue: str = Field(pattern=VENUE_PATTERN)
    run_seconds: int = Field(default=3600, ge=1, le=86_400)
    # None: from the venue's profile (``rebalancer.watch.pace``).
    tick_seconds: float | None = Field(default=None, gt=0, le=60)
    # A woken account that stays outside (a held leg, a refused order) is not called again
    # sooner than this; a new region from its next cycle resets it.
    rewake_seconds: float = Field(default=60.0, ge=0, le=86_400)
    # Request weight a minute the balance refresh may spend; None: a fifth of the venue's
    # budget (on Binance 1,200 of 6,000 per IP, 60 account reads), the rest left to the
    # accounts' own cycles.
    refresh_weight_per_minute: float | None = Field(default=None, ge=0)


class WatchVenueReport(BaseModel):
    """What a watcher run has done: counted as it goes (so not frozen), heartbeated, and
    returned at the end of the run."""

    accounts: int = 0
    ticks: int = 0
    screened: int = 0
    woken: int = 0
    refreshed: int = 0
    feed_failures: int = 0
    # The last tick's screen of every fleet, seconds of CPU.
    screen_seconds: float = 0.0
    # The latest region write seen in the ledger.
    cursor: AwareDatetime | None = None


class ForceRequest(Frozen):
    reason: str = "operator"
    trigger: Literal["force", "schedule"] = "force"


class CycleSummary(Frozen):
    cycle: int
    trigger: CycleTrigger
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    status: Literal["completed", "failed", "skipped", "running"] = "running"
    equity: Dec | None = None
    max_abs_drift: Dec | None = None
    verdicts: dict[str, Verdict] = Field(default_factory=dict)
    orders_placed: int = 0
    orders_filled: int = 0
    predicted_cost: Dec | None = None
    realised_cost: Dec | None = None
    legs_queued: int = 0
    note: str = ""


class AccountStatus(Frozen):
    account_id: str
    venue: str
    state: Literal["idle", "trading", "waiting", "paused", "needs_attention"]
    paused: bool
    cycle: int
    targets: dict[str, Dec]
    policy: PolicySettings
    next_check_at: AwareDatetime | None
    queued: tuple[QueuedLeg, ...]
    drift: dict[str, Dec]
    last_cycle: CycleSummary | None
    totals: dict[str, int]
    # Targets the operator set that the account has not traded to yet.
    instructed: tuple[str, ...] = ()
    # Why the account cannot trade now (missing credentials, venue down, unknown market):
    # it retries on a durable timer and resumes by itself once the cause is fixed.
    attention: str | None = None


# Activity messages ---------------------------------------------------------------------


class AccountRef(Frozen):
    account_id: str = Field(pattern=ACCOUNT_ID_PATTERN)
    venue: str = Field(pattern=VENUE_PATTERN)


@dataclass(frozen=True)
class Subject:
    """What one activity call is about. The worker binds it to the call's log lines and
    counts the call's errors by its symbol (activities/interceptor.py)."""

    account: AccountRef
    cycle: int | None = None
    client_order_id: str | None = None
    symbol: str | None = None


class ActivityRequest(Frozen):
    """An activity's input, which says what the call is about."""

    @abstractmethod
    def subject(self) -> Subject: ...


class RegisterRequest(ActivityRequest):
    config: AccountConfig
    registered_at: AwareDatetime

    def subject(self) -> Subject:
        return Subject(self.config.ref())


class CycleRequest(ActivityRequest):
    """A request within one cycle of one account."""

    account: AccountRef
    cycle: int = Field(ge=0)

    def subject(self) -> Subject:
        return Subject(self.account, cycle=self.cycle)


class DetectRequest(CycleRequest):
    trigger: CycleTrigger
    look: Look


class AssessRequest(ActivityRequest):
    account: AccountRef
    leg: LegOrder

    def subject(self) -> Subject:
        return Subject(self.account, symbol=self.leg.rules.symbol)


class AssessResult(Frozen):
    assessment: LiquidityAssessment
    order: PlannedOrder | None
    mid: Dec | None


class PlaceRequest(CycleRequest):
    client_order_id: str
    order: PlannedOrder
    detect_started_at: AwareDatetime | None = None

    def subject(self) -> Subject:
        return Subject(self.account, self.cycle, self.client_order_id, self.order.symbol)


class OrderRequest(CycleRequest):
    """A request about one order the venue already holds."""

    symbol: str
    client_order_id: str

    def subject(self) -> Subject:
        return Subject(self.account, self.cycle, self.client_order_id, self.symbol)


class AwaitFillRequest(OrderRequest):
    timeout_seconds: int = Field(ge=1, le=3600)
    poll_milliseconds: int = Field(default=50, ge=5, le=60_000)
    detect_started_at: AwareDatetime | None = None


class CancelRequest(OrderRequest):
    pass


class ReconcileRequest(CycleRequest):
    symbols: tuple[str, ...]
    since: AwareDatetime | None = None
    # At a cycle's start, orders left open by an earlier cycle (a crash, a lost response)
    # are cancelled once their fills are recorded: they lock funds the new plan needs.
    cancel_stale: bool = False
    # Mid per symbol at decision time, to measure realised cost against.
    decision_mids: dict[str, Dec] = Field(default_factory=dict)
    record_balances: bool = False
    observed_at: AwareDatetime | None = None
    slippage_budget_bps: Dec | None = None

    @classmethod
    def for_closing(
        cls,
        account: AccountRef,
        closing: Closing,
        observed_at: datetime,
        slippage_budget_bps: Decimal | None = None,
    ) -> ReconcileRequest:
        """The reconcile that closes a cycle: its fills since it began, costed at the decision
        mids, and the balances they leave. The closing's fields are the request's own."""
        return cls(
            account=account,
            **closing.model_dump(),
            record_balances=True,
            observed_at=observed_at,
            slippage_budget_bps=slippage_budget_bps,
        )


class ReconcileResult(Frozen):
    open_orders: tuple[VenueOrder, ...]
    fills: tuple[VenueTrade, ...]
    new_fills: int
    realised_cost: Dec | None


class CycleRecord(ActivityRequest):
    account: AccountRef
    summary: CycleSummary
    plan: Plan | None = None
    # For a watched account, what its venue's watcher screens until the next cycle.
    watch: NoTradeRegion | None = None

    def subject(self) -> Subject:
        return Subject(self.account, cycle=self.summary.cycle)
