"""How one leg is worked within a cycle, and how long a held leg waits: the pacing rules.

The account workflow and the backtest both drive legs through these functions, so a change
to the execution rule changes both at once.

Within a cycle a leg goes: place (passive or marketable, per policy); if the order does not
fill in time, cancel it and cross the spread for the rest, within the slippage budget; if the
book could only take a slice, or even a marketable order does not fill, hold the leg on a
durable timer; stop after ``max_orders_per_leg`` orders.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal, NamedTuple

from pydantic import AwareDatetime, Field

from rebalancer.domain.liquidity import Verdict
from rebalancer.domain.market import Frozen, Side
from rebalancer.domain.numbers import Dec
from rebalancer.domain.orders import PlannedOrder
from rebalancer.domain.policy_settings import ExecutionStyle, PolicySettings

NOT_FILLED = "not filled within the slippage budget"
SLICED = "sliced: waiting for depth to recover"
ORDER_BUDGET = "order budget for this cycle used"


class Hold(NamedTuple):
    """A leg a cycle held for later."""

    side: Side
    reason: str
    # Something of the leg filled in this cycle: its backoff starts over.
    progressed: bool


class LegState(Frozen):
    """A leg being worked: what is left, how it is priced, which order comes next."""

    remaining: Dec
    style: ExecutionStyle
    slice_number: int = 0
    # The plan already cut the leg to what the book absorbs: the rest waits for depth.
    sliced: bool = False
    # Something of this leg filled in this cycle.
    progressed: bool = False


class Next(Frozen):
    action: Literal["place", "hold", "done"]
    state: LegState
    reason: str = ""


def start_leg(amount: Decimal, style: ExecutionStyle, sliced: bool) -> LegState:
    return LegState(remaining=amount, style=style, sliced=sliced)


def after_order(
    state: LegState,
    ordered: Decimal,
    filled: Decimal,
    verdict: Verdict,
    policy: PolicySettings,
) -> Next:
    """What follows an order of ``ordered`` that filled ``filled`` (assessed as ``verdict``)."""
    moved = state.model_copy(
        update={
            "remaining": state.remaining - filled,
            "slice_number": state.slice_number + 1,
            "progressed": state.progressed or filled > 0,
        }
    )
    if filled < ordered:
        if state.style == "passive":
            # Timed out at the touch: cross the spread for the rest, within the budget.
            crossing = moved.model_copy(update={"style": "marketable"})
            return _within_budget(crossing, policy)
        return Next(action="hold", state=moved, reason=NOT_FILLED)
    if state.sliced or verdict == "slice":
        return Next(action="hold", state=moved, reason=SLICED)
    if moved.remaining <= 0 or verdict == "execute":
        return Next(action="done", state=moved)
    return _within_budget(moved, policy)


def _within_budget(state: LegState, policy: PolicySettings) -> Next:
    if state.slice_number >= policy.max_orders_per_leg:
        return Next(action="hold", state=state, reason=ORDER_BUDGET)
    return Next(action="place", state=state)


def hold_attempts(previous: int | None, progressed: bool) -> int:
    """The attempt number of a held leg: a leg that filled something starts the backoff
    over, so a large rebalance worked in slices keeps its pace instead of slowing down."""
    if previous is None or progressed:
        return 1
    return previous + 1


def hold_seconds(attempts: int, policy: PolicySettings) -> int:
    """Backoff for a held leg: base * 2^(attempts-1), capped."""
    return int(min(policy.requeue_base_seconds * 2 ** (attempts - 1), policy.requeue_max_seconds))


class QueuedLeg(Frozen):
    """A held leg waiting on its durable timer."""

    asset: str
    side: Side
    reason: str
    attempts: int = Field(ge=1)
    queued_at: AwareDatetime
    retry_at: AwareDatetime


def requeue(
    queued: Mapping[str, QueuedLeg],
    considered: Iterable[str],
    holds: Mapping[str, Hold],
    now: datetime,
    policy: PolicySettings,
) -> dict[str, QueuedLeg]:
    """The queue after a cycle: legs it considered and held wait (again) with backoff, legs it
    considered and settled leave, legs it did not consider keep their timers."""
    after = dict(queued)
    for asset in considered:
        hold = holds.get(asset)
        if hold is None:
            after.pop(asset, None)
            continue
        side, reason, progressed = hold
        previous = queued.get(asset)
        attempts = hold_attempts(
            previous.attempts if previous and previous.side == side else None, progressed
        )
        after[asset] = QueuedLeg(
            asset=asset,
            side=side,
            reason=reason,
            attempts=attempts,
            queued_at=previous.queued_at if previous else now,
            retry_at=now + timedelta(seconds=hold_seconds(attempts, policy)),
        )
    return after


def buys_after_sells(
    orders: Sequence[PlannedOrder], considered: Collection[str], sold: Collection[str]
) -> list[PlannedOrder]:
    """The buys of a cycle's second pass, re-planned on the cash its sells raised.

    A leg's client order ids are (account, cycle, asset, slice): one side per asset per cycle.
    An asset sold in this cycle is not bought back in it, even when the re-plan says so (the
    targets changed mid-cycle, or the price moved through the band): the next cycle decides
    it afresh, under ids of its own.
    """
    return [o for o in orders if o.side == "buy" and o.asset in considered and o.asset not in sold]
