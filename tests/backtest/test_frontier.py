"""The frontier's band, dominance, the goals and the tuning choice, on made-up metrics."""

from __future__ import annotations

from decimal import Decimal

from rebalancer.backtest.frontier import (
    Point,
    band_for,
    dominating,
    frontier_settings,
    goals,
    select,
)
from rebalancer.backtest.metrics import Metrics
from rebalancer.domain.numbers import ZERO
from rebalancer.domain.policy_settings import PolicySettings


def metrics(cost: str, te: str) -> Metrics:
    return Metrics(
        total_cost=Decimal(cost),
        fees=Decimal(cost),
        slippage=ZERO,
        cost_bps_per_year=Decimal(cost),
        trades=1,
        fills=1,
        traded_notional=ZERO,
        turnover=ZERO,
        tracking_error_rms_weight=Decimal(te),
        tracking_error_annualised=Decimal(te),
        tracking_error_daily_benchmark=ZERO,
        max_drift=ZERO,
        final_value_vs_target=ZERO,
        final_value_vs_daily_target=ZERO,
        final_equity=Decimal(1),
        average_equity=Decimal(1),
    )


def point(lam: str, cost: str, te: str) -> Point:
    return Point(f"lambda={lam}", Decimal(lam), Decimal("0.01"), metrics(cost, te))


def test_the_band_is_where_marginal_benefit_equals_the_fee() -> None:
    base = PolicySettings(
        default_volatility=Decimal("0.8"), horizon_days=Decimal("36.5"), sizing="band_edge"
    )
    # fee / (lambda sigma^2 H) = 0.001 / (1 * 0.64 * 0.1) = 0.015625 -> 4 places.
    assert band_for(Decimal(1), base, Decimal("0.001")) == Decimal("0.0156")
    assert band_for(Decimal(2), base, Decimal("0.001")) == Decimal("0.0078")
    # Clipped to a sane range at the extremes.
    assert band_for(Decimal("0.0001"), base, Decimal("0.001")) == Decimal("0.5000")
    assert band_for(Decimal("1e6"), base, Decimal("0.001")) == Decimal("0.0005")
    swept = frontier_settings(base, [Decimal(1), Decimal(2)], Decimal("0.001"))
    assert [s.band for s in swept] == [Decimal("0.0156"), Decimal("0.0078")]
    assert all(s.sizing == "band_edge" for s in swept)
    # Every point stops at the band: a base sized to target goes to the band's edge instead,
    # a joint base keeps its joint step.
    for sizing, stops in (("target", "band_edge"), ("joint", "joint")):
        other = base.model_copy(update={"sizing": sizing})
        assert [s.sizing for s in frontier_settings(other, [Decimal(1)], Decimal("0.001"))] == [
            stops
        ]
    assert swept[0].default_volatility == base.default_volatility


def test_a_baseline_is_dominated_only_by_cheaper_and_no_worse_tracking() -> None:
    baseline = metrics("100", "0.02")
    assert dominating(baseline, [point("1", "100", "0.01")]) is None  # not cheaper
    assert dominating(baseline, [point("1", "50", "0.021")]) is None  # tracks worse
    equal_tracking = point("1", "99", "0.02")
    assert dominating(baseline, [equal_tracking]) == equal_tracking
    cheapest = point("2", "10", "0.015")
    assert dominating(baseline, [equal_tracking, cheapest]) == cheapest


def test_goals_report_each_comparison_and_missing_ones_plainly() -> None:
    policies = {
        "calendar": metrics("100", "0.001"),
        "threshold": metrics("20", "0.04"),
        "seed": metrics("300", "0.05"),
        "cost_aware": metrics("30", "0.03"),
    }
    result = {g.name: g for g in goals(policies, [point("1", "15", "0.035")])}
    assert result["cost cut vs calendar >= 68%"].met is True
    assert result["tracking error no worse than threshold"].met is True
    assert result["cheaper than seed at equal or better tracking error"].met is True
    assert result["frontier dominates threshold"].met is True
    assert result["frontier dominates seed"].met is True
    policies["cost_aware"] = metrics("40", "0.045")
    missed = {g.name: g for g in goals(policies, [])}
    assert missed["cost cut vs calendar >= 68%"].met is False
    assert "40.00% of calendar's" in missed["cost cut vs calendar >= 68%"].detail
    assert missed["tracking error no worse than threshold"].met is False
    assert "frontier dominates seed" not in missed
    assert goals({"calendar": metrics("1", "0")}, []) == []


def test_tuning_picks_the_point_with_the_largest_smallest_margin() -> None:
    baselines = {
        "calendar": metrics("100", "0.001"),
        "threshold": metrics("20", "0.04"),
        "seed": metrics("300", "0.05"),
    }
    tight_but_dear = point("4", "31", "0.01")  # cost margin slightly negative
    loose_and_cheap = point("0.3", "5", "0.039")  # tracking margin 2.5%
    balanced = point("1", "15", "0.025")  # cost margin ~53%, tracking margin 37.5%
    chosen = select(baselines, [tight_but_dear, loose_and_cheap, balanced])
    assert chosen == balanced
    assert select(baselines, []) is None
