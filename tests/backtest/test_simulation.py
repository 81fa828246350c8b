"""The simulator over small markets: determinism, missing days, and the baselines' shape."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from rebalancer.backtest.baselines import NO_KNOBS
from rebalancer.backtest.experiment import Job, Outcome, run_job, run_jobs
from rebalancer.backtest.markets import MarketSpec, market_spec
from rebalancer.backtest.roster import policy_factory
from rebalancer.backtest.simulator import Run, simulate
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.paper.instruments import Instrument
from tests.backtest.conftest import PORTFOLIO, TARGETS, BarWriter

HOUR = timedelta(hours=1)
EQUITY = Decimal(100_000)
TUNED = PolicySettings(
    check_interval_seconds=3600,
    risk_aversion=Decimal("0.7"),
    band=Decimal("0.0272"),
    sizing="band_edge",
    execution_style="marketable",
)


def outcome(market: MarketSpec, policy: str, settings: PolicySettings | None = None) -> Outcome:
    chosen = settings or PolicySettings(check_interval_seconds=3600)
    job = Job(policy, policy, market, PORTFOLIO, chosen)
    return run_job(job)


def simulated(market: MarketSpec, policy: str) -> Run:
    """The whole run (samples and fills), with the default settings."""
    make = policy_factory(policy, TARGETS, "USDT", HOUR, PolicySettings(), NO_KNOBS)
    return simulate(market, make, TARGETS, "USDT", EQUITY)


def test_the_same_seed_gives_the_same_result_and_another_seed_another(
    instruments: tuple[Instrument, ...],
) -> None:
    def market(seed: int) -> MarketSpec:
        return market_spec(
            "replay", instruments, seed=seed, first=date(2021, 5, 10), last=date(2021, 5, 12)
        )

    first = outcome(market(4), "seed")
    again = outcome(market(4), "seed")
    other = outcome(market(5), "seed")
    assert first.metrics == again.metrics
    assert first.series == again.series
    assert first.metrics.trades > 0
    assert other.metrics != first.metrics


def test_parallel_workers_give_the_same_outcomes_as_one_process(
    instruments: tuple[Instrument, ...],
) -> None:
    market = market_spec(
        "replay", instruments, seed=2, first=date(2022, 6, 1), last=date(2022, 6, 2)
    )
    jobs = [
        Job(p, p, market, PORTFOLIO, TUNED, keep_series=False) for p in ("calendar", "cost_aware")
    ]
    ticks: list[int] = []
    parallel = run_jobs(jobs, workers=2, progress=ticks.append)
    serial = run_jobs(jobs, workers=1)
    assert {k: v.metrics for k, v in parallel.items()} == {k: v.metrics for k, v in serial.items()}
    assert sum(ticks) == 2 * market.days


def test_missing_days_are_bridged_from_close_to_next_open(
    instruments: tuple[Instrument, ...], write_bars: BarWriter
) -> None:
    gap = date(2022, 1, 5)
    data = write_bars(date(2022, 1, 1), 10, [gap], Decimal("0.02"))
    market = market_spec("replay", instruments, seed=1, first=None, last=None, data_dir=data)
    assert (market.first, market.last) == (date(2022, 1, 1), date(2022, 1, 10))
    assert market.missing_days == (gap,)
    run = simulated(market, "calendar")
    assert len(run.samples.times) == 10 * 24 + 1
    btc = [mids[0] for mids in run.samples.mids]
    on_gap = [
        mid for moment, mid in zip(run.samples.times, btc, strict=True) if moment.date() == gap
    ]
    # The bridge runs from 01-04's close (01-05 00:00) to 01-06's open, inside that range.
    close_before = btc[4 * 24]
    open_after = btc[5 * 24]
    low, high = sorted((close_before, open_after))
    assert low < high
    assert all(low <= mid <= high for mid in on_gap)


def test_with_nothing_moving_inside_the_day_calendar_tracks_the_target(
    instruments: tuple[Instrument, ...], write_bars: BarWriter
) -> None:
    data = write_bars(date(2022, 1, 1), 20, [], Decimal(0))
    market = market_spec("replay", instruments, seed=1, first=None, last=None, data_dir=data)
    calendar = outcome(market, "calendar").metrics
    threshold = outcome(market, "threshold").metrics
    # Prices jump at midnight and the calendar trades right after: only costs separate it
    # from the continuously rebalanced target portfolio.
    assert calendar.trades > 0
    assert calendar.tracking_error_annualised < Decimal("0.001")
    assert calendar.tracking_error_daily_benchmark < Decimal("0.001")
    assert threshold.tracking_error_annualised > 10 * calendar.tracking_error_annualised


def test_calendar_tracks_the_daily_benchmark_on_real_bars(
    instruments: tuple[Instrument, ...],
) -> None:
    market = market_spec(
        "replay", instruments, seed=1, first=date(2021, 3, 1), last=date(2021, 3, 21)
    )
    metrics = outcome(market, "calendar").metrics
    assert metrics.trades >= 20
    assert metrics.tracking_error_daily_benchmark < Decimal("0.002")
    assert metrics.tracking_error_annualised > metrics.tracking_error_daily_benchmark


def test_on_a_calm_path_cost_aware_does_not_churn(instruments: tuple[Instrument, ...]) -> None:
    market = market_spec(
        "calm", instruments, seed=5, first=date(2024, 1, 1), last=date(2024, 1, 21)
    )
    calendar = outcome(market, "calendar").metrics
    threshold = outcome(market, "threshold").metrics
    seed = outcome(market, "seed").metrics
    lead_defaults = outcome(market, "cost_aware").metrics
    tuned = outcome(market, "cost_aware", TUNED).metrics
    assert calendar.trades > 40
    assert seed.trades > 100
    # One fixed band traded to its edge trades rarely.
    assert tuned.trades * 5 < calendar.trades
    assert tuned.total_cost * 2 < calendar.total_cost
    assert tuned.trades <= threshold.trades
    # The defaults' bands are each asset's own and narrow as a calm market's volatility
    # estimate falls, so they trade more often, in small steps back to the band's edge: not
    # churn, since each step pays for itself (a tenth of the calendar's cost here).
    assert lead_defaults.trades * 2 < seed.trades
    assert lead_defaults.total_cost * 5 < calendar.total_cost


def test_every_policy_starts_at_target_at_no_cost(instruments: tuple[Instrument, ...]) -> None:
    market = market_spec(
        "volatile", instruments, seed=9, first=date(2024, 3, 1), last=date(2024, 3, 1)
    )
    run = simulated(market, "threshold")
    assert run.samples.times[0] == datetime(2024, 3, 1, tzinfo=UTC)
    mids, holdings = run.samples.mids[0], run.samples.holdings[0]
    equity = holdings[-1] + sum(m * q for m, q in zip(mids, holdings, strict=False))
    assert equity == EQUITY
    for asset, mid, quantity in zip(["BTC", "ETH", "LINK"], mids, holdings[:-1], strict=True):
        # Floored to the step, so within one step's value of the target.
        assert abs(quantity * mid / equity - TARGETS[asset]) < Decimal("0.0001")
