"""The port a trading cycle runs against: look at the account, assess, place, wait, cancel,
reconcile. Two hosts implement it (the workflow with activities, the backtest in process);
the cycle itself never knows which.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol

from pydantic import AwareDatetime, Field

from rebalancer.domain.liquidity import LiquidityAssessment
from rebalancer.domain.market import Frozen, MarketRules, OrderBook, Side
from rebalancer.domain.numbers import Correlation, Dec, Fraction, PosDec
from rebalancer.domain.orders import PlannedOrder
from rebalancer.domain.placement import plan_order
from rebalancer.domain.policy_settings import ExecutionStyle, PolicySettings
from rebalancer.domain.snapshot import Snapshot

# What starts a cycle: the regular check's timer, the venue's fleet watcher seeing drift past
# the band (``rebalancer.watch``), an operator's force signal (a target change forces one
# too), a calendar review's schedule, or a held leg's retry timer. Only a requeue re-assesses
# held legs without sampling drift (``trading_cycle.samples_drift``).
CycleTrigger = Literal["timer", "watch", "force", "schedule", "requeue"]


class Look(Frozen):
    """What a look at the account needs to know: against which targets, and which assets
    must come with a book whatever their drift (instructions)."""

    quote: str
    targets: dict[str, Fraction]
    policy: PolicySettings
    instructed: frozenset[str] = frozenset()
    # The account's volatility estimates: per-asset bands widen with volatility, so the look
    # must size them as the decision will, or a leg past the decision's band comes without
    # its book and is queued on every retry.
    volatility: dict[str, PosDec] = Field(default_factory=dict)
    # And its correlation estimates, which the ``covariance`` band rule reads.
    correlation: dict[str, dict[str, Correlation]] = Field(default_factory=dict)
    # Last mids seen, to value a position whose book is empty for a moment.
    last_mids: dict[str, PosDec] = Field(default_factory=dict)


class Observation(Frozen):
    """Balances and market now. The snapshot carries no history, volatility or instructions:
    the cycle adds its own; it carries books only for the legs that may trade."""

    snapshot: Snapshot
    observed_at: AwareDatetime
    # When the look began: the latency of an order is measured from here.
    started_at: AwareDatetime | None = None
    # Held assets the venue lists no market for against the quote: not valued, not traded.
    unpriced: tuple[str, ...] = ()


class LegOrder(Frozen):
    """One leg's next order to assess on a fresh book."""

    asset: str
    side: Side
    quantity: PosDec
    rules: MarketRules
    policy: PolicySettings
    style: ExecutionStyle
    slice_number: int = Field(ge=0)
    # Free quote a buy may spend, fees included; None for a sell.
    cash: Dec | None = None


def plan_leg(leg: LegOrder, book: OrderBook) -> tuple[LiquidityAssessment, PlannedOrder | None]:
    """The one way a port assesses a leg on the fresh ``book`` it read."""
    return plan_order(
        leg.asset,
        book,
        leg.side,
        leg.quantity,
        leg.rules,
        leg.policy,
        leg.style,
        leg.slice_number,
        cash=leg.cash,
    )


class Closing(Frozen):
    """A cycle's closing reconcile: its fills since it began, costed at the decision mids."""

    cycle: int = Field(ge=0)
    symbols: tuple[str, ...]
    since: AwareDatetime
    decision_mids: dict[str, Dec]


class OrderState(Frozen):
    client_order_id: str
    filled: Dec
    final: bool


class Refusal(Frozen):
    """The venue refused the order for good (insufficient funds, a filter, ...)."""

    reason: str


class CyclePort(Protocol):
    def now(self) -> datetime: ...

    def paused(self) -> bool: ...

    async def trading(self) -> None:
        """Orders are about to go out (the workflow shows it; the backtest need not)."""

    async def reconcile_open(self, cycle: int, symbols: tuple[str, ...]) -> None:
        """Record fills of orders an earlier cycle may have left, and cancel those still open."""

    async def detect(self, cycle: int, trigger: CycleTrigger, look: Look) -> Observation: ...

    async def assess(self, leg: LegOrder) -> tuple[LiquidityAssessment, PlannedOrder | None]:
        """``rebalancer.domain.placement.plan_order`` on a fresh book."""

    async def place(
        self, cycle: int, client_order_id: str, order: PlannedOrder, observation: Observation
    ) -> OrderState | Refusal: ...

    async def await_fill(
        self, cycle: int, order: PlannedOrder, client_order_id: str, timeout_seconds: int
    ) -> OrderState: ...

    async def cancel(self, cycle: int, order: PlannedOrder, client_order_id: str) -> OrderState: ...

    async def reconcile_cycle(self, closing: Closing) -> Decimal | None:
        """Fills of this cycle into the ledger; the realised cost against the decision mids."""
