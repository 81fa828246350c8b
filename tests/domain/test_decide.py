"""The policy end to end: cost gate, sizing, velocity, balances, and legal orders."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rebalancer.domain.decide import Plan, decide
from rebalancer.domain.drift import compute_drift
from rebalancer.domain.liquidity import minimum_notional
from rebalancer.domain.snapshot import Snapshot
from tests.domain.strategies import PROPERTY, on_grid
from tests.domain_fixtures import account, snapshot_of

D = Decimal
HALF = {"X": D("0.5"), "USDT": D("0.5")}


def _one_asset(units: str, cash: str, **options: Any) -> Snapshot:
    return snapshot_of(account({"X": (D(units), D(100))}, D(cash), HALF, **options))


def test_small_drift_in_a_costly_book_is_skipped() -> None:
    # 1.5 points over target: trading 1.5 X costs ~1.65 in spread and fees; the drift is
    # worth ~0.30 over the horizon.
    plan = decide(_one_asset("51.5", "4850", half_spread=D(1)))
    x = plan.of("X")
    assert (x.side, x.verdict, x.order) == ("sell", "skip", None)
    assert x.desired_quantity == D("1.5")
    assert x.predicted_cost is not None
    assert x.benefit < x.predicted_cost.total
    assert "not worth it" in x.reason
    assert plan.orders == ()


def test_big_drift_in_the_same_book_trades() -> None:
    plan = decide(_one_asset("80", "2000", half_spread=D(1), policy={"slippage_budget_bps": "500"}))
    x = plan.of("X")
    assert x.predicted_cost is not None
    assert x.benefit > x.predicted_cost.total
    assert x.verdict == "execute"
    assert x.order is not None
    assert (x.order.side, x.order.amount) == ("sell", D(30))


def test_without_the_cost_gate_the_small_drift_trades() -> None:
    plan = decide(
        _one_asset(
            "51.5",
            "4850",
            half_spread=D(1),
            policy={"cost_gate": False, "slippage_budget_bps": "500"},
        )
    )
    assert plan.of("X").verdict == "execute"


def test_inside_the_band_nothing_trades() -> None:
    plan = decide(_one_asset("50.5", "4950"))
    assert plan.of("X").verdict == "skip"
    assert "band" in plan.of("X").reason


def test_sizing_to_target_or_to_the_band_edge() -> None:
    for units, cash, side in (("60", "4000", "sell"), ("40", "6000", "buy")):
        to_target = decide(_one_asset(units, cash)).of("X")
        to_edge = decide(
            _one_asset(units, cash, policy={"sizing": "band_edge", "band": "0.02"})
        ).of("X")
        assert (to_target.side, to_edge.side) == (side, side)
        # Drift 0.1 of 10,000 at 100: 10 X to target, 8 X to the 0.02 edge.
        assert to_target.desired_quantity == 10
        assert to_edge.desired_quantity == 8
        assert to_target.order is not None
        assert to_target.order.amount == 10
        assert to_edge.order is not None
        assert to_edge.order.amount == 8


def test_growing_drift_trades_where_reverting_drift_waits() -> None:
    def plan_with(history: list[str]) -> Plan:
        return decide(
            snapshot_of(
                account(
                    {"X": (D(55), D(100))},
                    D(4500),
                    HALF,
                    half_spread=D("0.5"),
                    history={"X": [D(s) for s in history]},
                    policy={"slippage_budget_bps": "1000"},
                )
            )
        )

    growing = plan_with(["0.01", "0.03"]).of("X")
    flat = plan_with(["0.05", "0.05"]).of("X")
    reverting = plan_with(["0.09", "0.07"]).of("X")
    assert (growing.velocity, flat.velocity, reverting.velocity) == (
        D("0.02"),
        D(0),
        D("-0.02"),
    )
    assert growing.cost_of_inaction > flat.cost_of_inaction > reverting.cost_of_inaction
    assert growing.benefit > flat.benefit > reverting.benefit
    assert growing.verdict == "execute"
    assert reverting.verdict == "skip"
    assert "not worth it" in reverting.reason


def test_a_book_thinner_than_the_leg_is_judged_on_what_it_absorbs() -> None:
    # The whole leg (50 X) lowers the cost of inaction by ~329; the book holds 0.2 X for ~0.02,
    # ~5.5 scaled to the leg. Worth trading, and the 0.2 slice pays for itself (~2.6 saved).
    snapshot = _one_asset(
        "100",
        "0",
        level_quantity=D("0.2"),
        levels=1,
        policy={"max_depth_fraction": "1", "slippage_budget_bps": "1000"},
    )
    x = decide(snapshot).of("X")
    assert x.desired_quantity == 50
    assert x.predicted_cost is not None
    assert not x.predicted_cost.fully_absorbed
    assert x.benefit > 300
    assert x.verdict == "slice"
    assert x.order is not None
    assert x.order.amount == D("0.2")


def test_buys_and_sells_mirror_each_other() -> None:
    over = decide(_one_asset("60", "4000")).of("X")
    under = decide(_one_asset("40", "6000")).of("X")
    assert (over.side, under.side) == ("sell", "buy")
    assert over.drift == -under.drift
    assert over.desired_quantity == under.desired_quantity
    assert over.benefit == under.benefit
    assert over.verdict == under.verdict == "execute"
    assert over.predicted_cost is not None
    assert under.predicted_cost is not None
    assert over.predicted_cost.spread == under.predicted_cost.spread
    assert over.order is not None
    assert under.order is not None
    assert over.order.amount == under.order.amount


def test_sells_come_first_and_fund_the_buys() -> None:
    snapshot = snapshot_of(
        account(
            {"X": (D(70), D(100)), "Y": (D(30), D(100))},
            D(0),
            {"X": D("0.3"), "Y": D("0.7"), "USDT": D(0)},
        )
    )
    plan = decide(snapshot)
    assert [(o.asset, o.side) for o in plan.orders] == [("X", "sell"), ("Y", "buy")]
    sell, buy = plan.orders
    proceeds = sell.amount * sell.price * (1 - D("0.001"))
    assert buy.amount * buy.price * (1 + D("0.001")) <= proceeds
    assert "capped by free balance" in plan.of("Y").reason


def test_sell_proceeds_are_counted_net_of_the_worse_fee() -> None:
    # Maker 0.2%, taker 0.1%: a passive sell pays the maker fee, so its proceeds must not be
    # counted at the taker rate, or the buy it funds overspends.
    data = account(
        {"X": (D(70), D(100)), "Y": (D(30), D(100))},
        D(0),
        {"X": D("0.3"), "Y": D("0.7"), "USDT": D(0)},
        # A 1 bp budget leaves no slack in the buy's sizing for the fee to hide in.
        policy={"slippage_budget_bps": "1"},
    )
    for market in data["markets"].values():
        market["maker_fee"] = "0.002"
    sell, buy = decide(snapshot_of(data)).orders
    assert buy.notional * D("1.002") <= sell.notional * D("0.998")


def test_a_buy_shrunk_to_the_cash_carries_the_cost_of_what_it_buys() -> None:
    # VWAP of 1.49 stays within 50 bps, but the limit must reach 101 (beyond mid + budget):
    # 1.49 at 101 costs more than the 150 free, so the buy shrinks to 1.48.
    data = account(
        {"X": (D(0), D(100))},
        D(10_000),
        HALF,
        step=D("0.01"),
        free={"USDT": D(150)},
        policy={"execution_style": "marketable", "fee_buffer": "0", "max_depth_fraction": "1"},
    )
    data["books"]["X/USDT"] = {
        "bids": [["99.99", "1000"]],
        "asks": [["100.01", "1"], ["101", "1000"]],
    }
    x = decide(snapshot_of(data)).of("X")
    assert x.order is not None
    assert (x.order.amount, x.order.price) == (D("1.48"), D(101))
    assert x.order.notional * D("1.001") <= 150
    assert x.order.predicted_cost is not None
    assert x.order.predicted_cost.requested == D("1.48")
    assert x.reason.count("capped by free balance") == 1


def test_a_sell_never_exceeds_the_free_balance() -> None:
    plan = decide(_one_asset("60", "4000", free={"X": D("3.3333")}))
    x = plan.of("X")
    assert x.order is not None
    assert x.order.amount == D("3.3333")
    assert "capped by free balance" in x.reason


def test_locked_cash_is_not_spent() -> None:
    plan = decide(_one_asset("40", "6000", free={"USDT": D("0")}))
    assert plan.of("X").order is None
    assert plan.of("X").verdict == "skip"


def test_a_given_report_is_used_as_is(seed_snapshot: Snapshot) -> None:
    assert decide(seed_snapshot, compute_drift(seed_snapshot)) == decide(seed_snapshot)


# Random accounts: 1-3 assets, any targets, free balances, filters and policy choices.
@st.composite
def accounts(draw: st.DrawFn) -> Snapshot:
    assets = [f"A{i}" for i in range(draw(st.integers(1, 3)))]
    holdings = {a: (draw(on_grid(0, 10**9, 3)), draw(on_grid(1000, 10**8, 2))) for a in assets}
    cash = draw(on_grid(0, 10**9, 2))
    if cash == 0 and all(q == 0 for q, _ in holdings.values()):
        cash = D(1000)
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=len(assets), max_size=len(assets))))
    bounds = [0, *cuts, 100]
    targets = {a: D(bounds[i + 1] - bounds[i]) / 100 for i, a in enumerate(assets)}
    targets["USDT"] = D(100 - cuts[-1]) / 100
    free = {
        a: q * draw(st.sampled_from([D(1), D("0.5"), D(0)]))
        for a, (q, _) in [*holdings.items(), ("USDT", (cash, D(1)))]
    }
    data = account(
        holdings,
        cash,
        targets,
        half_spread=draw(st.sampled_from([D("0.01"), D("0.5"), D(3)])),
        gap=draw(st.sampled_from([D("0.01"), D("0.3")])),
        level_quantity=draw(st.sampled_from([D("0.5"), D(20), D(5000)])),
        levels=draw(st.integers(1, 12)),
        step=draw(st.sampled_from([D("0.001"), D("0.1"), D(1)])),
        tick=draw(st.sampled_from([D("0.01"), D("0.1"), D(1)])),
        min_notional=draw(st.sampled_from([D(0), D(5), D(100)])),
        fee=draw(st.sampled_from([D(0), D("0.001"), D("0.0075")])),
        free=free,
        policy={
            "sizing": draw(st.sampled_from(["target", "band_edge"])),
            "band": draw(st.sampled_from(["0.001", "0.01", "0.05"])),
            "execution_style": draw(st.sampled_from(["passive", "marketable"])),
            "cost_gate": draw(st.booleans()),
            "max_depth_fraction": draw(st.sampled_from(["0.01", "0.2", "1"])),
            "slippage_budget_bps": draw(st.sampled_from(["5", "50", "2000"])),
            "min_trade_notional": draw(st.sampled_from(["0", "10"])),
            "fee_buffer": draw(st.sampled_from(["0", "0.002"])),
        },
    )
    return snapshot_of(data)


@PROPERTY
@given(accounts())
def test_plans_are_legal_and_never_spend_more_than_is_free(snapshot: Snapshot) -> None:
    plan = decide(snapshot)
    policy = snapshot.policy
    assert [row.asset for row in plan.assets] == snapshot.asset_order()
    sides = [order.side for order in plan.orders]
    assert sides == sorted(sides, key=lambda side: side != "sell"), "sells come first"
    assert len({order.asset for order in plan.orders}) == len(plan.orders)
    cash = Fraction(snapshot.free(snapshot.quote)) * (1 - Fraction(policy.fee_buffer))
    for order in plan.orders:
        rules = snapshot.rules(order.asset)
        fee = Fraction(max(rules.taker_fee, rules.maker_fee, D(0)))
        assert order.amount > 0
        assert order.amount % rules.step_size == 0
        assert order.price % rules.tick_size == 0
        assert order.amount >= rules.min_qty
        assert order.amount * order.price >= minimum_notional(rules, policy)
        assert order.predicted_cost is not None
        assert order.predicted_cost.requested == order.amount
        assert plan.of(order.asset).order == order
        assert plan.of(order.asset).verdict in ("execute", "slice")
        notional = Fraction(order.amount) * Fraction(order.price)
        if order.side == "sell":
            assert order.amount <= snapshot.free(order.asset)
            cash += notional * (1 - fee)
        else:
            cash -= notional * (1 + fee)
            assert cash >= 0, "buys spend no more than free cash plus sell proceeds"
