"""A whole backtest: optional tuning on a training period, the policies, the frontier.

Tuning is honest by construction: the risk aversion of ``cost_aware`` is chosen from the
frontier on the training period (``frontier.select``) and then only reported on the main
period, which the caller keeps apart from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from rebalancer.backtest.experiment import Job, OnProgress, Outcome, run_jobs
from rebalancer.backtest.frontier import (
    DEFAULT_GRID,
    Goal,
    Point,
    frontier_settings,
    goals,
    select,
)
from rebalancer.backtest.markets import MarketSpec
from rebalancer.domain.policy_settings import PolicySettings

BASELINES = ("calendar", "threshold", "seed")


@dataclass(frozen=True)
class StudyRequest:
    market: MarketSpec
    targets: dict[str, Decimal]
    quote: str
    equity: Decimal
    cadence: timedelta
    policies: tuple[str, ...]
    # cost_aware's settings (the base of the frontier too).
    settings: PolicySettings
    fee: Decimal
    frontier: bool = False
    grid: tuple[Decimal, ...] = DEFAULT_GRID
    training: MarketSpec | None = None
    workers: int = 1


@dataclass(frozen=True)
class Phase:
    market: MarketSpec
    outcomes: dict[str, Outcome]
    points: list[Point] = field(default_factory=list)

    @property
    def policies(self) -> dict[str, Outcome]:
        return {k: v for k, v in self.outcomes.items() if not k.startswith("frontier:")}


@dataclass(frozen=True)
class StudyResult:
    request: StudyRequest
    main: Phase
    goals: list[Goal]
    # The cost_aware settings the main period ran with (tuned when there was training).
    chosen: PolicySettings
    training: Phase | None = None
    selected: Point | None = None


def planned_days(request: StudyRequest) -> int:
    """Simulated days the whole study runs, for a progress bar."""
    main = len(request.policies) + (len(request.grid) if request.frontier else 0)
    total = main * request.market.days
    if request.training is not None:
        train = len([p for p in request.policies if p in BASELINES]) + len(request.grid)
        total += train * request.training.days
    return total


def run_study(request: StudyRequest, progress: OnProgress | None = None) -> StudyResult:
    chosen = request.settings
    training: Phase | None = None
    selected: Point | None = None
    if request.training is not None:
        baselines = tuple(p for p in request.policies if p in BASELINES)
        training = _phase(request, request.training, baselines, chosen, True, progress)
        metrics = {k: v.metrics for k, v in training.policies.items()}
        selected = select(metrics, training.points)
        if selected is not None:
            chosen = training.outcomes[f"frontier:{selected.label}"].settings
    main = _phase(request, request.market, request.policies, chosen, request.frontier, progress)
    policy_metrics = {k: v.metrics for k, v in main.policies.items()}
    return StudyResult(
        request=request,
        main=main,
        goals=goals(policy_metrics, main.points),
        chosen=chosen,
        training=training,
        selected=selected,
    )


def _phase(
    request: StudyRequest,
    market: MarketSpec,
    policies: tuple[str, ...],
    settings: PolicySettings,
    frontier: bool,
    progress: OnProgress | None,
) -> Phase:
    def job(key: str, policy: str, chosen: PolicySettings, series: bool) -> Job:
        return Job(
            key=key,
            policy=policy,
            market=market,
            targets=request.targets,
            quote=request.quote,
            equity=request.equity,
            cadence=request.cadence,
            settings=chosen,
            keep_series=series,
        )

    jobs = [job(name, name, settings, True) for name in policies]
    sweep = frontier_settings(settings, request.grid, request.fee) if frontier else []
    for point in sweep:
        jobs.append(job(f"frontier:{_label(point)}", "cost_aware", point, False))
    # A frontier point with cost_aware's own settings is the same run: simulate it once.
    unique: dict[tuple[str, str], Job] = {}
    same_as: dict[str, str] = {}
    for each in jobs:
        identity = (each.policy, each.settings.model_dump_json())
        if identity in unique:
            same_as[each.key] = unique[identity].key
        else:
            unique[identity] = each
    outcomes = run_jobs(list(unique.values()), request.workers, progress)
    for alias, key in same_as.items():
        outcomes[alias] = outcomes[key]
    points = [
        Point(
            _label(point),
            point.risk_aversion,
            point.band,
            outcomes[f"frontier:{_label(point)}"].metrics,
        )
        for point in sweep
    ]
    return Phase(market, outcomes, points)


def _label(settings: PolicySettings) -> str:
    return f"lambda={settings.risk_aversion}"
