"""The execution rule both the workflow and the backtest drive legs by."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rebalancer.domain.execution import (
    NOT_FILLED,
    ORDER_BUDGET,
    SLICED,
    QueuedLeg,
    after_order,
    buys_after_sells,
    hold_attempts,
    hold_seconds,
    requeue,
    start_leg,
)
from rebalancer.domain.market import Side
from rebalancer.domain.policy_settings import PolicySettings
from tests.domain.strategies import planned_order

POLICY = PolicySettings(max_orders_per_leg=3, requeue_base_seconds=30, requeue_max_seconds=900)
ONE = Decimal(1)


def test_filled_execute_is_done() -> None:
    step = after_order(start_leg(ONE, "marketable", False), ONE, ONE, "execute", POLICY)
    assert step.action == "done"
    assert step.state.remaining == 0


def test_unfilled_passive_crosses_for_the_rest() -> None:
    step = after_order(start_leg(ONE, "passive", False), ONE, Decimal("0.25"), "execute", POLICY)
    assert step.action == "place"
    assert step.state.style == "marketable"
    assert step.state.remaining == Decimal("0.75")
    assert step.state.slice_number == 1
    assert step.state.progressed


def test_unfilled_marketable_is_held() -> None:
    step = after_order(start_leg(ONE, "marketable", False), ONE, Decimal(0), "execute", POLICY)
    assert (step.action, step.reason) == ("hold", NOT_FILLED)
    assert not step.state.progressed


def test_a_filled_slice_waits_for_depth() -> None:
    for sliced, verdict in ((True, "execute"), (False, "slice")):
        step = after_order(start_leg(ONE, "marketable", sliced), ONE, ONE, verdict, POLICY)
        assert (step.action, step.reason) == ("hold", SLICED)


def test_the_order_budget_caps_a_cycle() -> None:
    leg = start_leg(ONE, "passive", False)
    leg = after_order(leg, ONE, Decimal(0), "execute", POLICY).state
    leg = leg.model_copy(update={"style": "passive"})
    leg = after_order(leg, ONE, Decimal(0), "execute", POLICY).state
    leg = leg.model_copy(update={"style": "passive"})
    step = after_order(leg, ONE, Decimal(0), "execute", POLICY)
    assert (step.action, step.reason) == ("hold", ORDER_BUDGET)
    assert step.state.slice_number == 3


@given(st.integers(min_value=1, max_value=40), st.booleans())
def test_backoff_doubles_without_progress_and_resets_with_it(
    previous: int, progressed: bool
) -> None:
    attempts = hold_attempts(previous, progressed)
    assert attempts == (1 if progressed else previous + 1)
    assert hold_seconds(attempts, POLICY) == min(30 * 2 ** (attempts - 1), 900)
    assert hold_attempts(None, progressed) == 1


T0 = datetime(2026, 1, 5, 12, tzinfo=UTC)


def _queued(asset: str, side: Side, attempts: int) -> QueuedLeg:
    return QueuedLeg(
        asset=asset,
        side=side,
        reason=SLICED,
        attempts=attempts,
        queued_at=T0,
        retry_at=T0 + timedelta(seconds=60),
    )


def test_requeue_holds_releases_and_leaves_the_rest_alone() -> None:
    before = {
        "BTC": _queued("BTC", "buy", 2),
        "ETH": _queued("ETH", "sell", 1),
        "SOL": _queued("SOL", "buy", 3),
        "ADA": _queued("ADA", "buy", 2),
    }
    now = T0 + timedelta(hours=1)
    after = requeue(
        before,
        {"BTC", "ETH", "ADA", "XRP"},
        {
            "BTC": ("buy", NOT_FILLED, False),
            "ADA": ("sell", SLICED, False),
            "XRP": ("sell", ORDER_BUDGET, True),
        },
        now,
        POLICY,
    )
    # Held again without progress: the backoff doubles; it has waited since it first queued.
    assert after["BTC"].attempts == 3
    assert after["BTC"].retry_at == now + timedelta(seconds=120)
    assert after["BTC"].queued_at == T0
    assert after["BTC"].reason == NOT_FILLED
    # Settled this cycle: released.
    assert "ETH" not in after
    # Not considered: its timer stands.
    assert after["SOL"] == before["SOL"]
    # The other way round now: a new leg, so the backoff starts over.
    assert (after["ADA"].side, after["ADA"].attempts) == ("sell", 1)
    # Newly held.
    assert after["XRP"].queued_at == now
    assert after["XRP"].retry_at == now + timedelta(seconds=30)
    assert before["BTC"].attempts == 2


@given(
    st.lists(
        st.tuples(st.sampled_from(["BTC", "ETH", "SOL", "ADA"]), st.sampled_from(["buy", "sell"])),
        unique_by=lambda t: t[0],
    ),
    st.sets(st.sampled_from(["BTC", "ETH", "SOL", "ADA"])),
    st.sets(st.sampled_from(["BTC", "ETH", "SOL", "ADA"])),
)
def test_second_pass_buys_never_take_back_a_sold_asset(
    plan: list[tuple[str, Side]], considered: set[str], sold: set[str]
) -> None:
    orders = [planned_order(asset, side) for asset, side in plan]
    kept = buys_after_sells(orders, considered, sold)
    assert all(o.side == "buy" and o.asset in considered for o in kept)
    assert not {o.asset for o in kept} & sold
    # Every other buy of a considered asset is kept, in plan order.
    assert kept == [o for o in orders if o.side == "buy" and o.asset in considered - sold]
