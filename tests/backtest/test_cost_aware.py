"""cost_aware in the backtest: the band shortcut agrees with ``decide``; the cycle mirrors
the workflow (passive, then marketable; slices and queues retried with backoff)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rebalancer.backtest.cost_aware import CostAware
from rebalancer.backtest.desk import ACCOUNT_ID, Desk
from rebalancer.backtest.markets import instruments_for, market_spec
from rebalancer.domain.decide import assets_needing_books, decide
from rebalancer.domain.drift import compute_drift
from rebalancer.domain.market import MarketRules, OrderBook
from rebalancer.domain.numbers import CONTEXT
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.snapshot import Position, Snapshot

TARGETS = {
    "BTC": Decimal("0.4"),
    "ETH": Decimal("0.3"),
    "LINK": Decimal("0.1"),
    "USDT": Decimal("0.2"),
}
PRICES = {"BTC": Decimal("40000"), "ETH": Decimal("2500")}
# The portfolio the properties draw drifts from: PRICES' assets and the quote.
SPLIT = {"BTC": Decimal("0.5"), "ETH": Decimal("0.3"), "USDT": Decimal("0.2")}


def _rules(asset: str) -> MarketRules:
    return MarketRules(
        symbol=f"{asset}/USDT",
        base=asset,
        quote="USDT",
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.00001"),
        min_notional=Decimal("5"),
    )


def _book(mid: Decimal) -> OrderBook:
    bids = [(mid - Decimal(i + 1), Decimal(5 + i)) for i in range(10)]
    asks = [(mid + Decimal(i + 1), Decimal(5 + i)) for i in range(10)]
    return OrderBook.from_pairs(bids, asks)


def _basis_points(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-4))


def _policies(
    low: int, high: int, **drawn: st.SearchStrategy[Any]
) -> st.SearchStrategy[PolicySettings]:
    """Policies with a band of ``low`` to ``high`` basis points, either sizing, and the
    other settings ``drawn``."""
    return st.builds(
        PolicySettings,
        band=_basis_points(low, high),
        sizing=st.sampled_from(["target", "band_edge"]),
        **drawn,
    )


def _snapshot(
    drift: dict[str, Decimal],
    equity: Decimal,
    policy: PolicySettings,
    history: dict[str, tuple[Decimal, ...]] | None = None,
) -> Snapshot:
    """BTC and ETH ``drift`` away from SPLIT's weights, the rest of ``equity`` in USDT."""
    quantities = {a: CONTEXT.divide((SPLIT[a] + drift[a]) * equity, PRICES[a]) for a in PRICES}
    cash = max(equity - sum(quantities[a] * PRICES[a] for a in PRICES), Decimal(0))
    books = {f"{a}/USDT": _book(p) for a, p in PRICES.items()}
    return Snapshot(
        quote="USDT",
        positions=(
            *(Position(asset=a, quantity=q) for a, q in quantities.items()),
            Position(asset="USDT", quantity=cash),
        ),
        prices={s: b.quote() for s, b in books.items()},
        targets=SPLIT,
        books=books,
        markets={f"{a}/USDT": _rules(a) for a in PRICES},
        history=history or {},
        policy=policy,
    )


@settings(max_examples=80, deadline=None)
@given(
    policy=_policies(
        1,
        500,
        # The drifts are drawn inside ``band``: the one fixed band every asset trades by.
        band_rule=st.just("fixed"),
        risk_aversion=st.sampled_from([Decimal("0.1"), Decimal("5"), Decimal("1000")]),
    ),
    offsets=st.tuples(st.integers(-1000, 1000), st.integers(-1000, 1000)),
    equity=st.integers(1_000, 10_000_000).map(Decimal),
    history=st.lists(_basis_points(-300, 300), max_size=3),
)
def test_the_band_shortcut_is_exactly_what_decide_concludes(
    policy: PolicySettings, offsets: tuple[int, int], equity: Decimal, history: list[Decimal]
) -> None:
    # Weights within the band (a fraction of it, so rounding cannot push one out).
    drift = {
        a: policy.band * Decimal(o) / 1000 * Decimal("0.99")
        for a, o in zip(PRICES, offsets, strict=True)
    }
    snapshot = _snapshot(
        drift, equity, policy, {"BTC": tuple(history), "ETH": tuple(reversed(history))}
    )
    report = compute_drift(snapshot)
    # The drifts were drawn at 99% of the band: the shortcut must apply to every example.
    assert assets_needing_books(snapshot, report) == []
    plan = decide(snapshot, report)
    assert plan.orders == ()
    assert all(row.verdict == "skip" for row in plan.assets)
    assert plan.history == report.history


@settings(max_examples=60, deadline=None)
@given(
    policy=_policies(
        10,
        300,
        execution_style=st.sampled_from(["passive", "marketable"]),
        risk_aversion=st.just(Decimal(50)),
    ),
    drifts=st.tuples(st.integers(-800, 800), st.integers(-800, 800)),
    equity=st.integers(10_000, 5_000_000).map(Decimal),
)
def test_books_of_legs_inside_the_band_do_not_change_the_plan(
    policy: PolicySettings, drifts: tuple[int, int], equity: Decimal
) -> None:
    drift = {a: Decimal(d).scaleb(-4) for a, d in zip(PRICES, drifts, strict=True)}
    snapshot = _snapshot(drift, equity, policy)
    report = compute_drift(snapshot)
    wanted = assets_needing_books(snapshot, report)
    pruned = snapshot.model_copy(
        update={"books": {f"{a}/USDT": snapshot.books[f"{a}/USDT"] for a in wanted}}
    )
    assert decide(pruned, report) == decide(snapshot, report)


def test_a_cycle_places_passive_then_marketable_and_backs_off_sliced_legs() -> None:
    instruments = instruments_for(["BTC", "ETH", "LINK"], Decimal("0.001"), Decimal("0.001"))
    spec = market_spec("thin", instruments, seed=3, first=date(2024, 1, 1), last=date(2024, 1, 2))
    desk = Desk(spec.venue(), "USDT", ["BTC", "ETH", "LINK"], spec.start)
    # All cash: every leg is a buy, bigger than a thin book absorbs at once.
    desk.venue.add_account(ACCOUNT_ID, {"USDT": Decimal(1_000_000)})
    policy = CostAware(
        TARGETS,
        "USDT",
        PolicySettings(check_interval_seconds=3600, execution_style="passive", sizing="target"),
        spec.start,
    )
    retries: list[timedelta] = []
    for _ in range(5):
        desk.advance(policy.next_wake())
        before = desk.clock
        policy.run(desk)
        retries.append(min(leg.retry_at for leg in policy.queued.values()) - desk.clock)
        assert desk.clock > before  # passive orders wait for their fill timeout
    orders = [placed.order for placed in desk.placed]
    first = orders[0]
    assert first.client_order_id.endswith("-1-BTC-0")
    assert first.side == "buy"
    # An unfilled passive order is followed in the same cycle by a marketable one (slice 1)
    # that prices above the passive one, for what was left.
    for order, follow in itertools.pairwise(orders):
        if order.status == "canceled" and order.executed_quantity < order.quantity:
            cycle_leg = order.client_order_id.rsplit("-", 1)[0]
            assert follow.client_order_id == f"{cycle_leg}-1"
            assert follow.price is not None
            assert order.price is not None
            assert follow.price > order.price
            assert follow.quantity == order.quantity - order.executed_quantity
            break
    else:
        raise AssertionError("no passive order timed out in five thin-book cycles")
    # Sliced legs that fill keep the base pace (30 s): backoff only grows for legs that
    # get nowhere (rebalancer.domain.execution.hold_attempts).
    assert retries == [timedelta(seconds=30)] * 5
    assert policy.cycle == 5
    assert policy.next_check_at == spec.start + timedelta(hours=1)
