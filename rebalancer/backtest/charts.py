"""PNG charts for the report (matplotlib, Agg: no display needed).

Values are converted to float only here, for drawing; every number in a table or in JSON
stays the exact Decimal it was computed as.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from rebalancer.backtest.experiment import Outcome
from rebalancer.backtest.families import FamilyPoint
from rebalancer.backtest.frontier import Point
from rebalancer.backtest.metrics import Metrics

COLOURS = {
    "calendar": "tab:blue",
    "threshold": "tab:orange",
    "band_edge": "tab:purple",
    "seed": "tab:red",
    "cost_aware": "tab:green",
}
MARKERS = {"calendar": "s", "threshold": "^", "band_edge": "v", "seed": "D", "cost_aware": "*"}
DPI = 100


def _days(days: Sequence[date]) -> np.ndarray[Any, np.dtype[np.datetime64]]:
    return np.array(days, dtype="datetime64[D]")


def _point(metrics: Metrics) -> tuple[float, float]:
    return (
        float(metrics.tracking_error_rms_weight) * 100,
        float(metrics.cost_bps_per_year),
    )


def frontier_chart(
    path: Path, policies: Mapping[str, Metrics], points: Sequence[Point], title: str
) -> None:
    figure, axes = plt.subplots(figsize=(7.5, 4.8), dpi=DPI)
    if points:
        xy = [_point(p.metrics) for p in points]
        axes.plot(
            [x for x, _ in xy],
            [y for _, y in xy],
            "-o",
            color=COLOURS["cost_aware"],
            alpha=0.6,
            markersize=4,
            label="cost_aware frontier (risk aversion sweep)",
        )
        for point, (x, y) in zip(points, xy, strict=True):
            axes.annotate(
                f"λ={point.risk_aversion}",
                (x, y),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=7,
                color=COLOURS["cost_aware"],
            )
    for name, metrics in policies.items():
        x, y = _point(metrics)
        axes.scatter(
            [x],
            [y],
            marker=MARKERS.get(name, "o"),
            s=140 if name == "cost_aware" else 70,
            color=COLOURS.get(name, "black"),
            edgecolor="black",
            zorder=3,
            label=name,
        )
    axes.margins(x=0.08)
    axes.set_xlabel("RMS weight drift (%)")
    axes.set_ylabel("cost (bps of equity per year)")
    axes.set_yscale("log")
    plain_numbers = FuncFormatter(lambda value, _: f"{value:g}")
    axes.yaxis.set_major_formatter(plain_numbers)
    axes.yaxis.set_minor_formatter(plain_numbers)
    axes.set_title(title, fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def equity_chart(path: Path, outcomes: Mapping[str, Outcome], title: str) -> None:
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), dpi=DPI, sharex=True)
    drawn_target = False
    for name, outcome in outcomes.items():
        series = outcome.series
        if series is None:
            continue
        if not drawn_target:
            top.plot(
                _days(series.days),
                [float(v) for v in series.target],
                color="grey",
                lw=1,
                label="target portfolio (continuous)",
            )
            drawn_target = True
        top.plot(
            _days(series.days),
            [float(v) for v in series.equity],
            lw=1,
            color=COLOURS.get(name),
            label=name,
        )
        bottom.plot(
            _days(series.days),
            [float(e / t - 1) * 100 for e, t in zip(series.equity, series.target, strict=True)],
            lw=1,
            color=COLOURS.get(name),
            label=name,
        )
    top.set_ylabel("equity (quote)")
    top.set_title(title, fontsize=10)
    top.legend(fontsize=8)
    top.grid(True, alpha=0.3)
    bottom.set_ylabel("vs target portfolio (%)")
    bottom.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def drift_chart(path: Path, outcomes: Mapping[str, Outcome], title: str) -> None:
    figure, axes = plt.subplots(figsize=(8, 3.8), dpi=DPI)
    for name, outcome in outcomes.items():
        series = outcome.series
        if series is None:
            continue
        axes.plot(
            _days(series.days),
            [float(d) * 100 for d in series.max_drift],
            lw=0.8,
            color=COLOURS.get(name),
            alpha=0.8,
            label=name,
        )
    axes.set_ylabel("max |weight - target| in the day (%)")
    axes.set_title(title, fontsize=10)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def families_chart(
    path: Path,
    main: Mapping[str, Sequence[FamilyPoint]],
    resampled: Sequence[Mapping[str, Sequence[FamilyPoint]]],
    title: str,
    cost_scale: float = 1.0,
) -> None:
    """Every policy's frontier: cost against RMS weight drift, log-log, with the 5-95%
    range of both over resamples as whiskers when there are resamples. Resampled costs are
    multiplied by ``cost_scale`` (main period's days over a resample's) to be comparable."""
    figure, axes = plt.subplots(figsize=(8, 5.2), dpi=DPI)
    for policy, points in main.items():
        xs = [float(p.metrics.tracking_error_rms_weight) * 100 for p in points]
        ys = [float(p.metrics.total_cost) for p in points]
        axes.plot(
            xs,
            ys,
            "-" + MARKERS.get(policy, "o"),
            color=COLOURS.get(policy, "tab:gray"),
            label=policy,
            markersize=6,
            alpha=0.85,
        )
        for point, x, y in zip(points, xs, ys, strict=True):
            same = [
                other.metrics
                for families in resampled
                for other in families.get(policy, ())
                if other.label == point.label
            ]
            if len(same) < 2:
                continue
            rx = np.percentile([float(m.tracking_error_rms_weight) * 100 for m in same], [5, 95])
            ry = np.percentile([float(m.total_cost) * cost_scale for m in same], [5, 95])
            axes.plot(rx, [y, y], color=COLOURS.get(policy, "tab:gray"), alpha=0.3)
            axes.plot([x, x], ry, color=COLOURS.get(policy, "tab:gray"), alpha=0.3)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("RMS weight drift (%)")
    axes.set_ylabel("total cost (quote currency)")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
