"""The no-trade region the fleet watcher screens by is exactly where ``decide`` moves no leg,
and the fleet's float screen never misses an account the exact rule would trade."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from rebalancer.domain.decide import decide, leg_goals
from rebalancer.domain.drift import compute_drift
from rebalancer.domain.no_trade import (
    REGROWTH,
    SCREEN_SLACK,
    NoTradeRegion,
    outside_region,
    outside_regions,
    region_after,
    region_bands,
)
from tests.domain.strategies import PROPERTY, on_grid
from tests.domain_fixtures import account, snapshot_of

ASSETS = ("BTC", "ETH", "LINK")


@st.composite
def accounts(
    draw: st.DrawFn,
) -> tuple[dict[str, tuple[Decimal, Decimal]], Decimal, dict[str, Decimal]]:
    count = draw(st.integers(1, 3))
    holdings = {
        asset: (draw(on_grid(0, 2_000_000, 4)), draw(on_grid(100, 5_000_000, 2)))
        for asset in ASSETS[:count]
    }
    cash = draw(on_grid(1, 100_000_000, 2))
    # Percent targets, so they sum to exactly one.
    weights = [draw(st.integers(1, 30)) for _ in range(count)]
    targets = {a: Decimal(w) / 100 for a, w in zip(ASSETS, weights, strict=False)}
    targets["USDT"] = 1 - sum(targets.values(), Decimal(0))
    return holdings, cash, targets


@PROPERTY
@given(
    accounts(),
    st.sampled_from(["target", "band_edge", "joint"]),
    on_grid(5, 800, 4),
)
def test_the_region_holds_exactly_where_decide_moves_no_leg(
    drawn: tuple[dict[str, tuple[Decimal, Decimal]], Decimal, dict[str, Decimal]],
    sizing: str,
    band: Decimal,
) -> None:
    holdings, cash, targets = drawn
    data = account(holdings, cash, targets, policy={"sizing": sizing, "band": str(band)})
    snapshot = snapshot_of(data)
    goals = leg_goals(snapshot, compute_drift(snapshot, sample=False))
    trades = any(goal.goal is not None for goal in goals.values())
    region = NoTradeRegion(
        quote="USDT", targets=targets, bands=region_bands(snapshot), sizing=snapshot.policy.sizing
    )
    quantities = {asset: quantity for asset, (quantity, _) in holdings.items()} | {"USDT": cash}
    mids = {asset: mid for asset, (_, mid) in holdings.items()}
    assert region.holds(quantities, mids) is not trades


def test_joint_sizing_leaves_the_region_on_cash_alone() -> None:
    # Every asset inside its 1% band, cash 2.4% short: the joint step trades, bands do not.
    drifts = {"BTC": Decimal("0.009"), "ETH": Decimal("0.008"), "LINK": Decimal("0.007")}
    bands = dict.fromkeys(drifts, Decimal("0.01"))
    assert outside_region(drifts, Decimal("-0.024"), bands, "joint")
    assert not outside_region(drifts, Decimal("-0.024"), bands, "band_edge")


drift = st.decimals(min_value=Decimal("-0.3"), max_value=Decimal("0.3"), places=9)
band = st.decimals(min_value=Decimal("0.0005"), max_value=Decimal("0.2"), places=6)


@PROPERTY
@given(
    st.lists(
        st.tuples(
            st.lists(drift, min_size=3, max_size=3),
            st.lists(band, min_size=3, max_size=3),
            st.booleans(),
        ),
        min_size=1,
        max_size=20,
    ),
)
def test_the_float_screen_never_misses_what_the_exact_rule_trades(
    rows: list[tuple[list[Decimal], list[Decimal], bool]],
) -> None:
    drifts = np.array([[float(d) for d in ds] for ds, _, _ in rows])
    cash = np.array([float(-sum(ds, Decimal(0))) for ds, _, _ in rows])
    bands = np.array([[float(b) for b in bs] for _, bs, _ in rows])
    joint = np.array([j for _, _, j in rows])
    flags = outside_regions(drifts, cash, bands, joint)
    for index, (ds, bs, is_joint) in enumerate(rows):
        named = dict(zip(ASSETS, ds, strict=True))
        exact = outside_region(
            named,
            -sum(ds, Decimal(0)),
            dict(zip(ASSETS, bs, strict=True)),
            "joint" if is_joint else "band_edge",
        )
        if exact:
            assert flags[index]
        elif flags[index]:
            # A false wake only within the slack of a band edge.
            margins = [
                (abs(-sum(ds, Decimal(0)) - d) / 2 if is_joint else abs(d)) / b
                for d, b in zip(ds, bs, strict=True)
            ]
            assert max(margins) > 1 - Decimal(SCREEN_SLACK) * 2


def test_an_asset_without_a_target_band_never_wakes() -> None:
    flags = outside_regions(
        np.array([[0.5, 0.0]]), np.array([-0.5]), np.array([[np.inf, 0.01]]), np.array([False])
    )
    assert not flags[0]


def test_a_leg_the_cost_gate_left_past_its_band_is_woken_only_further_out() -> None:
    # BTC 3 points over a 1% band, at a 5% fee and a tiny risk aversion: not worth it.
    data = account(
        {"BTC": (Decimal("530"), Decimal("100"))},
        Decimal("47000"),
        {"BTC": Decimal("0.5"), "USDT": Decimal("0.5")},
        fee=Decimal("0.05"),
        policy={"band": "0.01", "risk_aversion": "0.01", "sizing": "band_edge"},
    )
    snapshot = snapshot_of(data)
    plan = decide(snapshot)
    assert plan.of("BTC").order is None
    assert "cost" in plan.of("BTC").reason
    drift = plan.of("BTC").drift
    assert drift > Decimal("0.01")
    region = region_after(snapshot, plan)
    assert region.bands["BTC"] == drift * (1 + REGROWTH)
    mids = {"BTC": Decimal(100)}
    assert region.holds({"BTC": Decimal(530), "USDT": Decimal(47000)}, mids)
    assert not region.holds({"BTC": Decimal(540), "USDT": Decimal(46000)}, mids)


def test_a_leg_the_plan_trades_keeps_its_band() -> None:
    data = account(
        {"BTC": (Decimal("600"), Decimal("100"))},
        Decimal("40000"),
        {"BTC": Decimal("0.5"), "USDT": Decimal("0.5")},
        policy={"band": "0.01", "cost_gate": False, "sizing": "band_edge"},
    )
    snapshot = snapshot_of(data)
    plan = decide(snapshot)
    assert plan.of("BTC").order is not None
    assert region_after(snapshot, plan).bands == {"BTC": Decimal("0.01")}
