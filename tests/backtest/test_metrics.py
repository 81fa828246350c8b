"""Metrics, exactly, on tiny cases computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext

from rebalancer.backtest.markets import MarketSpec
from rebalancer.backtest.metrics import (
    active_returns,
    annualised_tracking_error,
    compute_metrics,
    target_values,
)
from rebalancer.backtest.simulator import FillCost, Run, Samples
from rebalancer.domain.numbers import CONTEXT

T0 = datetime(2022, 1, 1, tzinfo=UTC)
TARGETS = {"BTC": Decimal("0.5"), "USDT": Decimal("0.5")}


def _d(text: str) -> Decimal:
    return Decimal(text)


def close(value: Decimal, expected: Decimal) -> bool:
    """Equal to 30 decimal places: the 34-digit context rounds intermediate steps."""
    return abs(value - expected) < Decimal("1e-30")


def three_days() -> Samples:
    """1 BTC and 100 USDT held throughout, BTC at 100, 110, then 99, sampled daily."""
    samples = Samples("USDT", ["BTC"])
    for day, mid in enumerate(("100", "110", "99")):
        samples.record(T0 + timedelta(days=day), (_d(mid),), (_d("1"), _d("100")))
    return samples


def run_of(samples: Samples, fills: list[FillCost]) -> Run:
    market = MarketSpec("replay", date(2022, 1, 1), date(2022, 1, 2), seed=0)
    return Run("test", market, TARGETS, samples, fills, len(fills), {}, {})


def fill(side: str, quantity: str, price: str, mid: str, fee: str, order_id: int) -> FillCost:
    return FillCost(
        at=T0,
        order_id=order_id,
        asset="BTC",
        side=side,
        quantity=_d(quantity),
        price=_d(price),
        decision_mid=_d(mid),
        fee=_d(fee),
        liquidity="taker",
    )


def test_tracking_error_and_drift_match_the_hand_computation() -> None:
    metrics = compute_metrics(run_of(three_days(), []))
    # Equity 200, 210, 199. The target portfolio (50/50, rebalanced) returns +5% then -5%.
    # Active returns: 210/200 - 1.05 = 0 and 199/210 - 0.95 = -1/420.
    # Their sample variance is 2 * (1/840)^2 = 1/352800; annualised: * 365.
    expected_te = CONTEXT.sqrt(CONTEXT.divide(Decimal(365), Decimal(352800)))
    assert close(metrics.tracking_error_annualised, expected_te)
    # Sampled daily, the continuous and the daily target portfolios are the same.
    assert close(metrics.tracking_error_daily_benchmark, expected_te)
    # Drifts: day 0 none; day 1 BTC +1/42, cash -1/42; day 2 BTC -1/398, cash +1/398.
    with localcontext(CONTEXT):
        one_42 = Decimal(1) / 42
        one_398 = Decimal(1) / 398
        mean_square = (2 * one_42 * one_42 + 2 * one_398 * one_398) / 6
    assert close(metrics.tracking_error_rms_weight, CONTEXT.sqrt(mean_square))
    assert close(metrics.max_drift, CONTEXT.divide(1, 42))
    # The target portfolio ends at 200 * 1.05 * 0.95 = 199.5; the account at 199.
    assert close(metrics.final_value_vs_target, CONTEXT.divide(-1, 399))
    assert metrics.final_equity == 199
    assert metrics.total_cost == 0
    assert metrics.trades == 0


def test_costs_are_fees_plus_slippage_against_the_decision_mid() -> None:
    fills = [
        # Bought 0.1 at 101 with the mid at 100: 0.1 slippage, fee 0.0101 (quote value).
        fill("buy", "0.1", "101", "100", "0.0101", 1),
        # Sold 0.05 at 109 with the mid at 110: 0.05 slippage, fee 0.00545.
        fill("sell", "0.05", "109", "110", "0.00545", 2),
        # A second fill of order 2, better than mid: negative slippage.
        fill("sell", "0.01", "111", "110", "0.00111", 2),
    ]
    metrics = compute_metrics(run_of(three_days(), fills))
    assert metrics.slippage == Decimal("0.1") + Decimal("0.05") - Decimal("0.01")
    assert metrics.fees == Decimal("0.0101") + Decimal("0.00545") + Decimal("0.00111")
    assert metrics.total_cost == metrics.fees + metrics.slippage
    assert metrics.trades == 2
    assert metrics.fills == 3
    assert metrics.traded_notional == Decimal("10.1") + Decimal("5.45") + Decimal("1.11")
    average = CONTEXT.divide(200 + 210 + 199, 3)
    assert close(metrics.average_equity, average)
    assert close(metrics.turnover, CONTEXT.divide(metrics.traded_notional, average))
    years = CONTEXT.divide(2, 365)
    per_year = CONTEXT.divide(CONTEXT.divide(metrics.total_cost * 10_000, average), years)
    assert close(metrics.cost_bps_per_year, per_year)


def test_the_continuous_target_is_rebalanced_at_every_sample() -> None:
    samples = Samples("USDT", ["BTC"])
    # Hourly samples over one day: up 10% then back down within the day.
    mids = ["100"] * 12 + ["110"] * 12 + ["100"]
    for hour, mid in enumerate(mids):
        samples.record(T0 + timedelta(hours=hour), (_d(mid),), (_d("1"), _d("100")))
    hourly = target_values(samples, TARGETS, Decimal(200), range(len(mids)))
    daily = target_values(samples, TARGETS, Decimal(200), [0, len(mids) - 1])
    # Rebalanced through the round trip, it ends at 200 * 1.05 * (1 - 1/22) = 4410/22.
    assert close(hourly[-1], CONTEXT.divide(4410, 22))
    assert daily[-1] == 200
    assert active_returns([Decimal(200), Decimal(210)], [Decimal(100), Decimal(105)]) == [0]


def test_tracking_error_of_a_constant_active_return_is_zero() -> None:
    assert annualised_tracking_error([Decimal("0.001")] * 5) == 0
    assert annualised_tracking_error([Decimal("0.001")]) == 0
