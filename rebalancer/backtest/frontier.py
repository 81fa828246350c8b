"""The cost against tracking-error frontier of ``cost_aware``, dominance, and the goals.

The frontier sweeps one knob, the risk aversion ``lambda`` (grids: ``families``). Each
point stops at the band (its edge, or the joint step's), and its band is the drift at which
the cost model's marginal benefit of trading,
``lambda * sigma^2 * H * d``, equals the marginal fee: ``band = fee / (lambda sigma^2 H)``
(``sigma`` the policy's default volatility, ``H`` its horizon). Band and cost gate then
agree, and one number moves the policy from loose and cheap to tight and costly.

A baseline is dominated when some frontier point costs less and tracks no worse. Tracking
here is the RMS weight drift, the measure users mean (the hourly-target tracking error
rewards intraday trading for the market model's paths, not for staying on target).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.backtest.metrics import Metrics
from rebalancer.domain.numbers import ONE, ZERO, div, exact, to_places
from rebalancer.domain.policy_settings import PolicySettings

BAND_LIMITS = (Decimal("0.0005"), Decimal("0.5"))
# The bar: at least 68% less cost than the calendar rebalancer.
REQUIRED_CUT = Decimal("0.68")


@exact
def band_for(risk_aversion: Decimal, base: PolicySettings, fee: Decimal) -> Decimal:
    """The no-trade band where the marginal benefit of trading equals the marginal fee."""
    sigma = base.default_volatility
    band = div(fee, risk_aversion * sigma * sigma * base.horizon_years)
    low, high = BAND_LIMITS
    return to_places(min(max(band, low), high), 4)


def frontier_settings(
    base: PolicySettings, grid: Iterable[Decimal], fee: Decimal
) -> list[PolicySettings]:
    """``base`` at each risk aversion of ``grid``, its band where marginal benefit equals
    the fee; sizing stays the base's when it stops at the band (edge or joint)."""
    sizing = base.sizing if base.sizing != "target" else "band_edge"
    return [
        base.model_copy(
            update={"risk_aversion": lam, "band": band_for(lam, base, fee), "sizing": sizing}
        )
        for lam in grid
    ]


@dataclass(frozen=True)
class Point:
    label: str
    risk_aversion: Decimal
    band: Decimal
    metrics: Metrics


def dominating(baseline: Metrics, points: Sequence[Point]) -> Point | None:
    """The cheapest point that costs less than ``baseline`` and tracks no worse, if any."""
    better = [
        p
        for p in points
        if p.metrics.total_cost < baseline.total_cost
        and p.metrics.tracking_error_rms_weight <= baseline.tracking_error_rms_weight
    ]
    return min(better, key=lambda p: p.metrics.total_cost, default=None)


@dataclass(frozen=True)
class Goal:
    name: str
    # None when the run lacks what the goal compares against.
    met: bool | None
    detail: str
    # Relative slack: positive when met, negative when missed (for tuning).
    margin: Decimal | None = None


@exact
def goals(policies: Mapping[str, Metrics], points: Sequence[Point]) -> list[Goal]:
    """The issue's done-when checks for ``cost_aware`` against each baseline present."""
    ours = policies.get("cost_aware")
    result: list[Goal] = []
    if ours is None:
        return result
    calendar = policies.get("calendar")
    threshold = policies.get("threshold")
    seed = policies.get("seed")
    if calendar is not None:
        cut = ONE - div(ours.total_cost, calendar.total_cost) if calendar.total_cost else ZERO
        result.append(
            Goal(
                "cost cut vs calendar >= 68%",
                cut >= REQUIRED_CUT,
                f"cost_aware costs {_pct(ONE - cut)} of calendar's (a {_pct(cut)} cut)",
                div(cut - REQUIRED_CUT, ONE - REQUIRED_CUT),
            )
        )
    if threshold is not None:
        result.append(_no_worse_tracking(ours, threshold, "threshold"))
    if seed is not None:
        cheaper = ours.total_cost < seed.total_cost
        tracks = ours.tracking_error_rms_weight <= seed.tracking_error_rms_weight
        margin = min(
            _slack(ours.total_cost, seed.total_cost),
            _slack(ours.tracking_error_rms_weight, seed.tracking_error_rms_weight),
        )
        result.append(
            Goal(
                "cheaper than seed at equal or better tracking error",
                cheaper and tracks,
                f"cost {_money(ours.total_cost)} vs {_money(seed.total_cost)}, tracking error "
                f"{_pct(ours.tracking_error_rms_weight)} vs {_pct(seed.tracking_error_rms_weight)}",
                margin,
            )
        )
    if points:
        for name in ("threshold", "seed"):
            baseline = policies.get(name)
            if baseline is None:
                continue
            point = dominating(baseline, points)
            result.append(
                Goal(
                    f"frontier dominates {name}",
                    point is not None,
                    f"by {point.label}"
                    if point
                    else f"no frontier point is cheaper at "
                    f"{_pct(baseline.tracking_error_rms_weight)} RMS weight drift or better",
                )
            )
    return result


def _no_worse_tracking(ours: Metrics, other: Metrics, name: str) -> Goal:
    return Goal(
        f"tracking error no worse than {name}",
        ours.tracking_error_rms_weight <= other.tracking_error_rms_weight,
        f"{_pct(ours.tracking_error_rms_weight)} vs {_pct(other.tracking_error_rms_weight)}",
        _slack(ours.tracking_error_rms_weight, other.tracking_error_rms_weight),
    )


def _slack(ours: Decimal, bar: Decimal) -> Decimal:
    """1 - ours / bar: the fraction by which ``ours`` stays under ``bar``."""
    return ONE - div(ours, bar) if bar > 0 else (ZERO if ours <= bar else -ONE)


@exact
def select(policies: Mapping[str, Metrics], points: Sequence[Point]) -> Point | None:
    """The point whose smallest goal margin is largest: the most robust pick for the goals.

    Used on the training period only; the chosen risk aversion is then reported on periods
    it never saw.
    """
    best: tuple[Decimal, Point] | None = None
    for point in points:
        margins = [
            g.margin
            for g in goals({**policies, "cost_aware": point.metrics}, ())
            if g.margin is not None
        ]
        if not margins:
            continue
        worst = min(margins)
        if best is None or worst > best[0]:
            best = (worst, point)
    return best[1] if best else None


def _pct(value: Decimal) -> str:
    return f"{to_places(value * 100, 2)}%"


def _money(value: Decimal) -> str:
    return f"{to_places(value, 2)}"
