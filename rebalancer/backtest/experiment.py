"""Many runs (policies, frontier points, a training period) as jobs, in parallel if asked.

A job is everything one run needs, so a worker process rebuilds its market from the spec and
seed and gets the same prices as any other; results come back as compact ``Outcome``s.
Progress is counted in simulated days.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from rebalancer.backtest.baselines import NO_KNOBS, Knobs
from rebalancer.backtest.markets import MarketSpec
from rebalancer.backtest.metrics import Metrics, compute_metrics, drifts, equities, target_values
from rebalancer.backtest.roster import policy_factory
from rebalancer.backtest.simulator import Run, simulate
from rebalancer.domain.numbers import ZERO
from rebalancer.domain.policy_settings import PolicySettings

OnProgress = Callable[[int], None]
# Rough cost of a simulated day, so the slowest jobs start first on a small pool and
# none of them is left to run alone at the end (measured on 2021, after issue #17).
WEIGHT = {"seed": 6, "cost_aware": 2.5, "threshold": 1, "band_edge": 1, "calendar": 0.5}
# The calendar trades every asset at every check: hourly, it costs as much as cost_aware.
HOURLY_CALENDAR = 2.5


@dataclass(frozen=True)
class Portfolio:
    """What every run of a study manages: the target weights (in ``quote``), the equity it
    starts with, and how often a policy checks it."""

    targets: dict[str, Decimal]
    quote: str
    equity: Decimal
    cadence: timedelta


@dataclass(frozen=True)
class Job:
    key: str
    policy: str
    market: MarketSpec
    portfolio: Portfolio
    settings: PolicySettings
    keep_series: bool = True
    knobs: Knobs = NO_KNOBS


@dataclass(frozen=True)
class Series:
    """Daily points for charts: equity, the continuous target portfolio, max |drift|."""

    days: list[date] = field(default_factory=list)
    equity: list[Decimal] = field(default_factory=list)
    target: list[Decimal] = field(default_factory=list)
    max_drift: list[Decimal] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    key: str
    policy: str
    settings: PolicySettings
    metrics: Metrics
    series: Series | None
    orders_placed: int
    rejected: dict[str, int]
    counters: dict[str, int]


def run_job(job: Job, progress: OnProgress | None = None) -> Outcome:
    portfolio = job.portfolio
    make = policy_factory(
        job.policy, portfolio.targets, portfolio.quote, portfolio.cadence, job.settings, job.knobs
    )
    run = simulate(
        job.market, make, portfolio.targets, portfolio.quote, portfolio.equity, progress=progress
    )
    return Outcome(
        key=job.key,
        policy=job.policy,
        settings=job.settings,
        metrics=compute_metrics(run),
        series=daily_series(run) if job.keep_series else None,
        orders_placed=run.orders_placed,
        rejected=run.rejected,
        counters=run.counters,
    )


def daily_series(run: Run) -> Series:
    samples = run.samples
    equity = equities(samples)
    target = target_values(samples, run.targets, equity[0], range(len(equity)))
    rows = drifts(samples, run.targets)
    series = Series()
    worst = ZERO
    for index, moment in enumerate(samples.times):
        worst = max([worst, *(abs(d) for d in rows[index])])
        if moment.hour == 0 and moment.minute == 0:
            series.days.append(moment.date())
            series.equity.append(equity[index])
            series.target.append(target[index])
            series.max_drift.append(worst)
            worst = ZERO
    return series


def identity(job: Job) -> tuple[object, ...]:
    """What decides a job's outcome: jobs alike in it are one simulation (it is
    deterministic), whatever their keys and whether they keep their series."""
    settings = job.settings.model_dump_json() if job.policy == "cost_aware" else None
    portfolio = job.portfolio
    return (
        job.policy,
        job.market,
        tuple(sorted(portfolio.targets.items())),
        portfolio.quote,
        portfolio.equity,
        portfolio.cadence,
        settings,
        job.knobs.used_by(job.policy),
    )


def run_jobs(
    jobs: Sequence[Job],
    workers: int = 1,
    progress: OnProgress | None = None,
    pool: Workers | None = None,
) -> dict[str, Outcome]:
    """Every job's outcome by key, in the jobs' order; ``workers`` > 1 runs them in that
    many processes (``pool``'s when given). Each distinct job is simulated once (a
    frontier's point that is also a policy's own run, say); a copy's outcome carries its
    own key."""
    first: dict[tuple[object, ...], Job] = {}
    copies: list[tuple[Job, tuple[object, ...]]] = []
    for job in jobs:
        key = identity(job)
        kept = first.get(key)
        if kept is None:
            first[key] = job
        else:
            copies.append((job, key))
            if job.keep_series and not kept.keep_series:
                first[key] = replace(kept, keep_series=True)
    distinct = list(first.values())
    started: AbstractContextManager[Workers | None] = (
        nullcontext(pool) if pool is not None else workers_for(min(workers, len(distinct)))
    )
    with started as running:
        outcomes = _run_distinct(distinct, running, progress)
    for job, key in copies:
        outcomes[job.key] = replace(outcomes[first[key].key], key=job.key)
        if progress is not None:
            progress(job.market.days)
    return {job.key: outcomes[job.key] for job in jobs}


def weight(job: Job) -> float:
    """A simulated day's rough cost for ``job``'s policy."""
    interval = job.knobs.interval
    if job.policy == "calendar" and interval is not None and interval < timedelta(days=1):
        return HOURLY_CALENDAR
    return WEIGHT.get(job.policy, 1)


@dataclass(frozen=True)
class Workers:
    """Worker processes and their progress queue, kept for a whole study: a second batch
    (the main period after tuning) does not start processes of its own."""

    pool: ProcessPoolExecutor
    ticks: Any


@contextmanager
def workers_for(count: int) -> Iterator[Workers | None]:
    """``count`` worker processes for ``run_jobs``; None (run in process) for one."""
    if count <= 1:
        yield None
        return
    context = multiprocessing.get_context("spawn")
    ticks: Any = context.Queue()
    with ProcessPoolExecutor(
        max_workers=count, mp_context=context, initializer=_start_worker, initargs=(ticks,)
    ) as pool:
        yield Workers(pool, ticks)


def _run_distinct(
    jobs: Sequence[Job], pool: Workers | None, progress: OnProgress | None
) -> dict[str, Outcome]:
    """Every job's outcome by key, slowest first: in ``pool``'s processes when there is
    one and more than one job."""
    ordered = sorted(jobs, key=lambda j: -weight(j) * j.market.days)
    if pool is None or len(ordered) <= 1:
        return {job.key: run_job(job, progress) for job in ordered}
    outcomes: dict[str, Outcome] = {}
    pending = {pool.pool.submit(_run_in_worker, job) for job in ordered}
    while pending:
        _drain(pool.ticks, progress, timeout=0.2)
        for future in [f for f in pending if f.done()]:
            pending.discard(future)
            outcome = future.result()
            outcomes[outcome.key] = outcome
    _drain(pool.ticks, progress, timeout=0)
    return outcomes


_TICKS: Any = None


def _start_worker(ticks: Any) -> None:
    global _TICKS
    _TICKS = ticks


def _run_in_worker(job: Job) -> Outcome:
    ticks = _TICKS
    return run_job(job, (lambda days: ticks.put(days)) if ticks is not None else None)


def _drain(ticks: Any, progress: OnProgress | None, timeout: float) -> None:
    try:
        days = ticks.get(timeout=timeout) if timeout else ticks.get_nowait()
        while True:
            if progress is not None:
                progress(days)
            days = ticks.get_nowait()
    except queue.Empty:
        return
