"""What a run cost and how closely it tracked its targets, exactly, from its samples and fills.

Definitions (docs/value.md states them for readers):

- ``total_cost``: fees plus slippage of every fill against the market mid when the policy
  decided the trade, in quote currency. Fees a venue takes in the base asset (a buy's) are
  valued at the fill price.
- ``cost_bps_per_year``: ``total_cost`` over the average daily equity, in bps, per 365 days.
- ``trades``: orders that filled at least in part; ``turnover``: traded notional over the
  average equity, for the whole period.
- ``tracking_error_rms_weight``: root mean square of weight - target over every sample and
  every asset, cash included.
- ``tracking_error_annualised``: standard deviation (n - 1) of the daily active return,
  portfolio minus target portfolio, times sqrt(365). The target portfolio starts with the
  same equity and is rebalanced to the targets at every sample (hourly by default) at the
  market mid, at no cost: continuous rebalancing, as finely as the simulation samples.
- ``tracking_error_daily_benchmark``: the same against a target portfolio rebalanced only
  at 00:00 UTC. The calendar policy does exactly that, so it scores near zero here by
  construction; every policy that trades within the day scores the intraday rebalancing
  return as "tracking error", which is why this is not the headline measure.
- ``max_drift``: the largest |weight - target| seen at any sample.
- ``final_value_vs_target``: final equity over the (continuous) target portfolio's final
  value, minus 1; ``final_value_vs_daily_target`` the same against the daily one.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from rebalancer.backtest.simulator import FillCost, Run, Samples
from rebalancer.domain.market import Frozen
from rebalancer.domain.numbers import BPS, ONE, ZERO, Dec, div, exact, sqrt

DAYS_PER_YEAR = Decimal(365)


class Metrics(Frozen):
    total_cost: Dec
    fees: Dec
    slippage: Dec
    cost_bps_per_year: Dec
    trades: int
    fills: int
    traded_notional: Dec
    turnover: Dec
    tracking_error_rms_weight: Dec
    tracking_error_annualised: Dec
    tracking_error_daily_benchmark: Dec
    max_drift: Dec
    final_value_vs_target: Dec
    final_value_vs_daily_target: Dec
    final_equity: Dec
    average_equity: Dec


@exact
def equities(samples: Samples) -> list[Decimal]:
    """Equity at every sample, in quote currency, at the market mids."""
    result: list[Decimal] = []
    for mids, holdings in zip(samples.mids, samples.holdings, strict=True):
        total = holdings[-1]  # the quote currency, last
        for mid, quantity in zip(mids, holdings, strict=False):
            total += mid * quantity
        result.append(total)
    return result


@exact
def drifts(samples: Samples, targets: dict[str, Decimal]) -> list[tuple[Decimal, ...]]:
    """weight - target per asset (cash last) at every sample."""
    order = [*samples.assets, samples.quote]
    rows: list[tuple[Decimal, ...]] = []
    for equity, mids, holdings in zip(
        equities(samples), samples.mids, samples.holdings, strict=True
    ):
        prices = (*mids, ONE)
        rows.append(
            tuple(
                div(quantity * price, equity) - targets[asset]
                for asset, price, quantity in zip(order, prices, holdings, strict=True)
            )
        )
    return rows


def daily_indices(samples: Samples) -> list[int]:
    """Samples at 00:00 UTC: the daily series."""
    day = timedelta(days=1)
    start = samples.times[0]
    return [i for i, t in enumerate(samples.times) if (t - start) % day == timedelta(0)]


@exact
def target_values(
    samples: Samples, targets: dict[str, Decimal], start: Decimal, at: Sequence[int]
) -> list[Decimal]:
    """Value of the target portfolio at the samples ``at``, starting from ``start``, bought
    and rebalanced back to the targets at each of them at the mid, at no cost."""
    weights = [targets[a] for a in samples.assets]
    cash = targets[samples.quote]
    values = [start]
    for before, after in itertools.pairwise(at):
        growth = cash
        for weight, old, new in zip(
            weights, samples.mids[before], samples.mids[after], strict=True
        ):
            growth += weight * div(new, old)
        values.append(values[-1] * growth)
    return values


@exact
def active_returns(portfolio: Sequence[Decimal], benchmark: Sequence[Decimal]) -> list[Decimal]:
    """Period returns of the portfolio minus those of the benchmark."""
    return [
        div(p1, p0) - div(b1, b0)
        for p0, p1, b0, b1 in zip(portfolio, portfolio[1:], benchmark, benchmark[1:], strict=False)
    ]


@exact
def annualised_tracking_error(active: Sequence[Decimal]) -> Decimal:
    """Sample standard deviation (n - 1) of daily active returns, times sqrt(365)."""
    if len(active) < 2:
        return ZERO
    mean = div(sum(active, ZERO), Decimal(len(active)))
    variance = div(sum(((a - mean) ** 2 for a in active), ZERO), Decimal(len(active) - 1))
    return sqrt(variance * DAYS_PER_YEAR)


@exact
def cost_totals(fills: Sequence[FillCost]) -> tuple[Decimal, Decimal, Decimal]:
    """(fees, slippage, traded notional)."""
    fees = sum((f.fee for f in fills), ZERO)
    slippage = sum((f.slippage for f in fills), ZERO)
    notional = sum((f.notional for f in fills), ZERO)
    return fees, slippage, notional


@exact
def compute_metrics(run: Run) -> Metrics:
    samples = run.samples
    equity = equities(samples)
    days = daily_indices(samples)
    daily_equity = [equity[i] for i in days]
    continuous = target_values(samples, run.targets, equity[0], range(len(equity)))
    continuous_daily = [continuous[i] for i in days]
    daily = target_values(samples, run.targets, equity[0], days)
    drift_rows = drifts(samples, run.targets)
    squares = sum((d * d for row in drift_rows for d in row), ZERO)
    count = sum(len(row) for row in drift_rows)
    fees, slippage, notional = cost_totals(run.fills)
    total = fees + slippage
    average = div(sum(daily_equity, ZERO), Decimal(len(daily_equity)))
    years = div(Decimal(max(len(daily_equity) - 1, 1)), DAYS_PER_YEAR)
    return Metrics(
        total_cost=total,
        fees=fees,
        slippage=slippage,
        cost_bps_per_year=div(div(total * BPS, average), years),
        trades=len({f.order_id for f in run.fills}),
        fills=len(run.fills),
        traded_notional=notional,
        turnover=div(notional, average),
        tracking_error_rms_weight=sqrt(div(squares, Decimal(count))),
        tracking_error_annualised=annualised_tracking_error(
            active_returns(daily_equity, continuous_daily)
        ),
        tracking_error_daily_benchmark=annualised_tracking_error(
            active_returns(daily_equity, daily)
        ),
        max_drift=max((abs(d) for row in drift_rows for d in row), default=ZERO),
        final_value_vs_target=div(equity[-1], continuous[-1]) - ONE,
        final_value_vs_daily_target=div(daily_equity[-1], daily[-1]) - ONE,
        final_equity=equity[-1],
        average_equity=average,
    )
