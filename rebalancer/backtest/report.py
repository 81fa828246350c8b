"""A study as JSON, as a markdown report with charts, and the parameters that produced it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from rebalancer.backtest.frontier import Point, band_for, dominating
from rebalancer.backtest.frontier_report import (
    families_json,
    families_table,
    headline_json,
    headline_table,
)
from rebalancer.backtest.markets import MarketSpec
from rebalancer.backtest.metrics import Metrics
from rebalancer.backtest.study import Phase, StudyResult
from rebalancer.domain.numbers import plain, to_places

MONEY = ("total_cost", "fees", "slippage", "traded_notional", "final_equity", "average_equity")
# (metric, lower is better, how to say it)
COMPARED = (
    ("total_cost", True, "total cost"),
    ("tracking_error_rms_weight", True, "RMS weight drift"),
    ("tracking_error_daily_benchmark", True, "tracking error against the daily target"),
    ("tracking_error_annualised", True, "tracking error against the hourly target"),
    ("max_drift", True, "max drift"),
    ("trades", True, "trades"),
    ("final_value_vs_target", False, "final value against the target portfolio"),
)


def metrics_json(metrics: Metrics) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in metrics:
        if isinstance(value, int):
            result[name] = value
        elif name in MONEY or name == "cost_bps_per_year":
            result[name] = plain(to_places(value, 2))
        elif name == "turnover":
            result[name] = plain(to_places(value, 4))
        else:
            result[name] = plain(to_places(value, 6))
    return result


def market_json(market: MarketSpec) -> dict[str, Any]:
    return {
        "name": market.name,
        "first": market.first.isoformat(),
        "last": market.last.isoformat(),
        "days": market.days,
        "seed": market.seed,
        "data": str(market.data_dir) if market.data_dir else None,
        "missing_days": [d.isoformat() for d in market.missing_days],
    }


def points_json(points: Sequence[Point], policies: Mapping[str, Metrics]) -> list[dict[str, Any]]:
    rows = []
    for point in points:
        dominated = [
            name
            for name, metrics in policies.items()
            if name != "cost_aware" and dominating(metrics, [point]) is not None
        ]
        rows.append(
            {
                "label": point.label,
                "risk_aversion": plain(point.risk_aversion),
                "band": plain(point.band),
                "dominates": dominated,
                **metrics_json(point.metrics),
            }
        )
    return rows


def losses(policies: Mapping[str, Metrics]) -> list[str]:
    """Plain sentences: every metric in which a baseline beats cost_aware."""
    ours = policies.get("cost_aware")
    if ours is None:
        return []
    found: list[str] = []
    for name, other in policies.items():
        if name == "cost_aware":
            continue
        for field, lower, said in COMPARED:
            mine, theirs = getattr(ours, field), getattr(other, field)
            if (theirs < mine) if lower else (theirs > mine):
                found.append(
                    f"{name} has {'lower' if lower else 'higher'} {said}: "
                    f"{_show(field, theirs)} vs cost_aware's {_show(field, mine)}"
                )
    return found


def _show(field: str, value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    if field in MONEY:
        return plain(to_places(value, 2))
    return f"{plain(to_places(value * 100, 3))}%"


def phase_json(phase: Phase) -> dict[str, Any]:
    policies = {k: v.metrics for k, v in phase.policies.items()}
    return {
        "market": market_json(phase.market),
        "policies": {k: metrics_json(v) for k, v in policies.items()},
        "frontier": points_json(phase.points, policies),
    }


def study_json(result: StudyResult, command: str) -> dict[str, Any]:
    main = result.main
    policies = {k: v.metrics for k, v in main.policies.items()}
    return {
        "policies": {k: metrics_json(v) for k, v in policies.items()},
        "market": market_json(main.market),
        "frontier": points_json(main.points, policies),
        "goals": [{"name": g.name, "met": g.met, "detail": g.detail} for g in result.goals],
        "where_cost_aware_does_not_win": losses(policies)
        + [f"goal missed: {g.name} ({g.detail})" for g in result.goals if g.met is False],
        "activity": {
            name: {"orders_placed": o.orders_placed, "rejected": o.rejected, **o.counters}
            for name, o in main.policies.items()
        },
        "frontiers": families_json(result.families, result.resampled),
        "headline": headline_json(
            result.headline,
            len(result.resampled),
            result.request.resampled_days if result.resampled else None,
        ),
        "training": (
            {
                **phase_json(result.training),
                "selected": result.selected.label if result.selected else None,
            }
            if result.training is not None
            else None
        ),
        "parameters": parameters(result, command),
    }


def parameters(result: StudyResult, command: str) -> dict[str, Any]:
    request = result.request
    portfolio = request.portfolio
    return {
        "command": command,
        "market": market_json(request.market),
        "training": market_json(request.training) if request.training else None,
        "targets": {k: plain(v) for k, v in portfolio.targets.items()},
        "quote": portfolio.quote,
        "starting_equity": plain(portfolio.equity),
        "start": "at target, bought at the first mids at no cost",
        "check_cadence_seconds": int(portfolio.cadence.total_seconds()),
        "sample_every_seconds": 3600,
        "fees": {
            "maker": plain(request.market.instruments[0].maker_fee),
            "taker": plain(request.market.instruments[0].taker_fee),
        },
        "policies": list(request.policies),
        "baselines": {
            "calendar": "market orders to target every day at 00:00 UTC",
            "threshold": "market order to target when |drift| > 0.05, checked every cadence",
            "band_edge": "market order back to the band edge when |drift| > 0.05, checked "
            "every cadence",
            "seed": "tolerance 0.002, min trade 10, queue above 1% of top-10 depth, limit at "
            "mid -/+ 0.25 spread, orders live until the next check",
        },
        "cost_aware": json.loads(result.chosen.model_dump_json()),
        "cost_aware_tuned": result.selected.label if result.selected else None,
        "frontier": {
            "grid": [plain(x) for x in request.risk_grid]
            if request.frontier or request.training
            else [],
            "band": "fee / (risk_aversion * default_volatility^2 * horizon_years)",
            "sizing": "band_edge",
            "fee": plain(request.fee),
        },
        "resamples": len(result.resampled),
        "frontier_grids": {
            policy: [p.label for p in points] for policy, points in result.families.items()
        },
        "workers": request.workers,
    }


def write_report(directory: Path, result: StudyResult, command: str) -> list[Path]:
    # matplotlib takes 0.3 s to import: only a run that draws pays for it.
    from rebalancer.backtest import charts

    directory.mkdir(parents=True, exist_ok=True)
    document = study_json(result, command)
    main = result.main
    policies = {k: v.metrics for k, v in main.policies.items()}
    title = f"{main.market.name} {main.market.first} to {main.market.last}"
    written = [
        directory / n
        for n in ("report.md", "params.json", "frontier.png", "equity.png", "drift.png")
    ]
    if result.families:
        written.append(directory / "frontiers.png")
        charts.families_chart(
            written[-1],
            result.families,
            result.resampled,
            f"Cost at equal tracking: {title}",
            cost_scale=main.market.days / result.request.resampled_days,
        )
    charts.frontier_chart(
        written[2], policies, main.points, f"Cost against tracking error: {title}"
    )
    charts.equity_chart(written[3], main.policies, f"Equity: {title}")
    charts.drift_chart(written[4], main.policies, f"Drift: {title}")
    (directory / "params.json").write_text(
        json.dumps(document["parameters"], indent=2) + "\n", encoding="utf-8"
    )
    (directory / "report.md").write_text(markdown(result, document), encoding="utf-8")
    return written


def metrics_table(policies: Mapping[str, Metrics]) -> list[str]:
    lines = [
        "| policy | total cost | bps/year | trades | turnover | RMS drift "
        "| TE vs daily target | TE vs hourly target | max drift | vs target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in policies.items():
        lines.append(
            f"| {name} | {plain(to_places(m.total_cost, 2))} "
            f"| {plain(to_places(m.cost_bps_per_year, 1))} | {m.trades} "
            f"| {plain(to_places(m.turnover, 2))} "
            f"| {_pct(m.tracking_error_rms_weight)} | {_pct(m.tracking_error_daily_benchmark)} "
            f"| {_pct(m.tracking_error_annualised)} | {_pct(m.max_drift)} "
            f"| {_pct(m.final_value_vs_target)} |"
        )
    return lines


def frontier_table(points: Sequence[Point], policies: Mapping[str, Metrics]) -> list[str]:
    lines = [
        "| risk aversion | band | total cost | bps/year | trades | RMS drift | dominates |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row, point in zip(points_json(points, policies), points, strict=True):
        m = point.metrics
        lines.append(
            f"| {plain(point.risk_aversion)} | {plain(point.band)} "
            f"| {plain(to_places(m.total_cost, 2))} "
            f"| {plain(to_places(m.cost_bps_per_year, 1))} | {m.trades} "
            f"| {_pct(m.tracking_error_rms_weight)} | {', '.join(row['dominates']) or '-'} |"
        )
    return lines


def _pct(value: Decimal) -> str:
    return f"{plain(to_places(value * 100, 2))}%"


def markdown(result: StudyResult, document: Mapping[str, Any]) -> str:
    main = result.main
    request = result.request
    portfolio = request.portfolio
    policies = {k: v.metrics for k, v in main.policies.items()}
    out = ["# Backtest report", "", f"Command: `{document['parameters']['command']}`", ""]
    out.append(f"Market: {main.market.describe()}.")
    if main.market.missing_days:
        days = ", ".join(d.isoformat() for d in main.market.missing_days)
        out.append(f"Days missing from the data, bridged close to next open: {days}.")
    if result.training is not None:
        train = result.training.market
        overlap = train.first <= main.market.last and main.market.first <= train.last
        seen = (
            "which includes the training period: not out of sample"
            if overlap
            else "which tuning never saw"
        )
        out.append(
            f"Tuning: cost_aware's risk aversion was chosen on {train.first} to {train.last} "
            f"(training) and is reported here on {main.market.first} to {main.market.last}, "
            f"{seen}."
        )
    out += [
        "",
        f"Start: {plain(portfolio.equity)} {portfolio.quote} at target "
        f"({', '.join(f'{k} {plain(v)}' for k, v in portfolio.targets.items())}), "
        "bought at the first mids at no cost, so costs measure maintenance only. Checks every "
        f"{int(portfolio.cadence.total_seconds())} s (calendar: daily at 00:00 UTC); "
        "samples hourly.",
        "",
        "## Results",
        "",
        *metrics_table(policies),
        "",
        "Cost is fees plus slippage against the mid at decision time. RMS drift is over every "
        "hourly sample and every asset, cash included; tracking error (TE) is against the "
        "target portfolio rebalanced at no cost at 00:00 UTC (daily: calendar scores near "
        "zero by construction) or at every hourly sample. Definitions: docs/value.md.",
        "",
        f"cost_aware ran with: `{_settings_line(result)}`.",
        "",
        "## Goals",
        "",
    ]
    for goal in result.goals:
        mark = "met" if goal.met else ("not evaluated" if goal.met is None else "MISSED")
        out.append(f"- {goal.name}: **{mark}** ({goal.detail})")
    out += ["", "## Where cost_aware does not win", ""]
    lost = document["where_cost_aware_does_not_win"]
    out += [f"- {line}" for line in lost] or ["- nowhere in this run"]
    if result.headline is not None:
        out += [
            "",
            "## Cost at equal tracking",
            "",
            "cost_aware's frontier read at the RMS weight drift of each point of each "
            "baseline's frontier; the cut is 1 - our cost / theirs. Median and worst along "
            f"their frontier; intervals over {len(result.resampled)} block-bootstrapped "
            "histories with their own intraday paths.",
            "",
            *headline_table(result.headline),
            "",
            "![frontiers](frontiers.png)",
            "",
            "### Every frontier point",
            "",
            *families_table(result.families),
        ]
    if main.points:
        out += ["", "## Frontier", "", *frontier_table(main.points, policies)]
    out += [
        "",
        "![cost against tracking error](frontier.png)",
        "",
        "![equity](equity.png)",
        "",
        "![drift](drift.png)",
        "",
    ]
    if result.training is not None:
        training = result.training
        train_policies = {k: v.metrics for k, v in training.policies.items()}
        out += [
            "## Training period",
            "",
            f"{training.market.describe()}.",
            "",
            *metrics_table(train_policies),
            "",
            *frontier_table(training.points, train_policies),
            "",
            f"Selected: {result.selected.label if result.selected else 'none'} (the point whose "
            "smallest margin over the goals is largest).",
            "",
        ]
    out += ["Parameters: params.json.", ""]
    return "\n".join(out)


def _settings_line(result: StudyResult) -> str:
    s = result.chosen
    band_note = ""
    if result.selected is not None:
        band = band_for(s.risk_aversion, s, result.request.fee)
        band_note = f" (tuned: {result.selected.label}, band {plain(band)})"
    return (
        f"risk_aversion={plain(s.risk_aversion)}, horizon_days={plain(s.horizon_days)}, "
        f"band={plain(s.band)}, sizing={s.sizing}, execution_style={s.execution_style}, "
        f"check_interval_seconds={s.check_interval_seconds}{band_note}"
    )
