"""A whole backtest: optional tuning on a training period, the policies, the frontier.

Tuning is honest by construction: the risk aversion of ``cost_aware`` is chosen from the
frontier on the training period (``frontier.select``) and then only reported on the main
period, which the caller keeps apart from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from rebalancer.backtest.baselines import NO_KNOBS, Knobs
from rebalancer.backtest.experiment import (
    Job,
    OnProgress,
    Outcome,
    Portfolio,
    Workers,
    run_jobs,
    workers_for,
)
from rebalancer.backtest.families import FamilyPoint, Member, cost_aware_grid, members
from rebalancer.backtest.frontier import (
    Goal,
    Point,
    frontier_settings,
    goals,
    select,
)
from rebalancer.backtest.headline import Headline, headline_goals
from rebalancer.backtest.headline import headline as summarise
from rebalancer.backtest.markets import MarketSpec
from rebalancer.domain.policy_settings import PolicySettings

BASELINES = ("calendar", "threshold", "band_edge", "seed")


@dataclass(frozen=True)
class StudyRequest:
    market: MarketSpec
    portfolio: Portfolio
    policies: tuple[str, ...]
    # cost_aware's settings (the base of the frontier too).
    settings: PolicySettings
    fee: Decimal
    frontier: bool = False
    # cost_aware's risk aversions; None: the family grid for its band rule.
    grid: tuple[Decimal, ...] | None = None
    training: MarketSpec | None = None
    workers: int = 1
    # Block-bootstrapped histories the frontiers are re-run on, for intervals (replay only),
    # each ``resample_days`` long (the period's length when None).
    resamples: int = 0
    resample_days: int | None = None

    @property
    def risk_grid(self) -> tuple[Decimal, ...]:
        return self.grid or cost_aware_grid(self.settings)

    @property
    def resampled_days(self) -> int:
        """Each resample's length: ``resample_days``, at most the period's."""
        return min(self.resample_days or self.market.days, self.market.days)


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
    # Every policy swept along its knob (``families``), on the main period and on each
    # resample, and what cost_aware's frontier saves at equal tracking.
    families: dict[str, list[FamilyPoint]] = field(default_factory=dict)
    resampled: list[dict[str, list[FamilyPoint]]] = field(default_factory=list)
    headline: Headline | None = None


def planned_days(request: StudyRequest) -> int:
    """Simulated days the whole study runs, for a progress bar."""
    total = len(request.policies) * request.market.days
    if request.frontier:
        family_runs = sum(len(_members(request, p)) for p in request.policies)
        total += family_runs * (request.market.days + request.resamples * request.resampled_days)
    if request.training is not None:
        train = len([p for p in request.policies if p in BASELINES]) + len(request.risk_grid)
        total += train * request.training.days
    return total


def run_study(request: StudyRequest, progress: OnProgress | None = None) -> StudyResult:
    with workers_for(request.workers) as pool:
        return _study(request, pool, progress)


def _study(request: StudyRequest, pool: Workers | None, progress: OnProgress | None) -> StudyResult:
    chosen = request.settings
    training: Phase | None = None
    selected: Point | None = None
    if request.training is not None:
        baselines = tuple(p for p in request.policies if p in BASELINES)
        plan = _phase_plan(request, request.training, baselines, chosen, True)
        training = plan.phase(run_jobs(plan.jobs, request.workers, progress, pool))
        metrics = {k: v.metrics for k, v in training.policies.items()}
        selected = select(metrics, training.points)
        if selected is not None:
            chosen = training.outcomes[f"frontier:{selected.label}"].settings
    # With --frontier, cost_aware's sweep is its family (run below), not a second sweep.
    plan = _phase_plan(request, request.market, request.policies, chosen, False)
    markets: list[MarketSpec] = []
    if request.frontier:
        markets = [request.market]
        if request.resamples and request.market.replay:
            markets += [
                request.market.resampled(k, request.resampled_days)
                for k in range(request.resamples)
            ]
    family_plan = {p: members(p, chosen, request.fee, request.grid) for p in request.policies}
    family_jobs = _family_jobs(request, markets, family_plan)
    # One batch: the policies' runs and the families' keep both workers busy to the end,
    # and a family point that is a policy's own run (seed, say) is simulated once.
    outcomes = run_jobs([*plan.jobs, *family_jobs], request.workers, progress, pool)
    main = plan.phase(outcomes)
    families: dict[str, list[FamilyPoint]] = {}
    resampled: list[dict[str, list[FamilyPoint]]] = []
    if request.frontier:
        runs = _families(markets, family_plan, outcomes)
        families, resampled = runs[0], runs[1:]
        main = replace(main, points=_points(request, chosen, families))
    policy_metrics = {k: v.metrics for k, v in main.policies.items()}
    summary = summarise(families, resampled) if families else None
    # At equal tracking when there are frontiers; single settings compared otherwise.
    judged = headline_goals(summary) if summary else goals(policy_metrics, main.points)
    return StudyResult(
        request=request,
        main=main,
        goals=judged,
        chosen=chosen,
        training=training,
        selected=selected,
        families=families,
        resampled=resampled,
        headline=summary,
    )


def _points(
    request: StudyRequest, settings: PolicySettings, families: dict[str, list[FamilyPoint]]
) -> list[Point]:
    """cost_aware's family as the frontier the goals and the old report read."""
    runs = {p.label: p.metrics for p in families.get("cost_aware", [])}
    return [
        Point(m.label, m.settings.risk_aversion, m.settings.band, runs[m.label])
        for m in members("cost_aware", settings, request.fee, request.grid)
        if m.label in runs
    ]


def _members(request: StudyRequest, policy: str) -> list[Member]:
    return members(policy, request.settings, request.fee, request.grid)


def _family_jobs(
    request: StudyRequest, markets: list[MarketSpec], plan: dict[str, list[Member]]
) -> list[Job]:
    """Every policy's family on every market, keyed ``<market index>|<label>``."""
    return [
        _job(request, market, f"{index}|{m.label}", policy, m.settings, knobs=m.knobs)
        for index, market in enumerate(markets)
        for policy, chosen in plan.items()
        for m in chosen
    ]


def _families(
    markets: list[MarketSpec], plan: dict[str, list[Member]], outcomes: dict[str, Outcome]
) -> list[dict[str, list[FamilyPoint]]]:
    return [
        {
            policy: [
                FamilyPoint(policy, m.label, outcomes[f"{index}|{m.label}"].metrics) for m in chosen
            ]
            for policy, chosen in plan.items()
        }
        for index in range(len(markets))
    ]


def _job(
    request: StudyRequest,
    market: MarketSpec,
    key: str,
    policy: str,
    settings: PolicySettings,
    *,
    series: bool = False,
    knobs: Knobs = NO_KNOBS,
) -> Job:
    return Job(key, policy, market, request.portfolio, settings, keep_series=series, knobs=knobs)


@dataclass(frozen=True)
class _PhasePlan:
    """A phase's jobs: its policies' runs and, when tuning, cost_aware's sweep."""

    market: MarketSpec
    jobs: list[Job]
    sweep: list[PolicySettings]

    def phase(self, outcomes: dict[str, Outcome]) -> Phase:
        keys = {job.key for job in self.jobs}
        points = [
            Point(
                _label(point),
                point.risk_aversion,
                point.band,
                outcomes[f"frontier:{_label(point)}"].metrics,
            )
            for point in self.sweep
        ]
        return Phase(self.market, {k: v for k, v in outcomes.items() if k in keys}, points)


def _phase_plan(
    request: StudyRequest,
    market: MarketSpec,
    policies: tuple[str, ...],
    settings: PolicySettings,
    frontier: bool,
) -> _PhasePlan:
    def job(key: str, policy: str, chosen: PolicySettings, series: bool) -> Job:
        return _job(request, market, key, policy, chosen, series=series)

    jobs = [job(name, name, settings, True) for name in policies]
    sweep = frontier_settings(settings, request.risk_grid, request.fee) if frontier else []
    for point in sweep:
        jobs.append(job(f"frontier:{_label(point)}", "cost_aware", point, False))
    return _PhasePlan(market, jobs, sweep)


def _label(settings: PolicySettings) -> str:
    return f"lambda={settings.risk_aversion}"
