"""Every policy's frontier and the equal-tracking headline, as JSON and as markdown rows.

Field names follow the issue's contract: per frontier point ``total_cost``,
``rms_weight_drift``, ``tracking_error_daily``, ``turnover``, ``trades`` and, with
resamples, an ``interval`` of each (median and 5-95% range); a ``headline`` block with the
cut at equal tracking against each baseline frontier.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from rebalancer.backtest.equal_tracking import Interval, Reading, interval
from rebalancer.backtest.headline import Against, CronReading, Families, Headline, percent
from rebalancer.backtest.metrics import Metrics
from rebalancer.domain.numbers import plain, to_places

# (JSON name, metric, decimal places)
FIGURES = (
    ("total_cost", "total_cost", 2),
    ("rms_weight_drift", "tracking_error_rms_weight", 6),
    ("tracking_error_daily", "tracking_error_daily_benchmark", 6),
    ("turnover", "turnover", 4),
    ("trades", "trades", 0),
)


def _figure(metrics: Metrics, field: str) -> Decimal:
    return Decimal(getattr(metrics, field))


def _text(value: Decimal | None, places: int) -> str | None:
    return None if value is None else plain(to_places(value, places))


def interval_json(found: Interval | None, places: int) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "p5": _text(found.p5, places),
        "median": _text(found.median, places),
        "p95": _text(found.p95, places),
        "samples": found.samples,
    }


def families_json(main: Families, resampled: Sequence[Families]) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {}
    for policy, points in main.items():
        rows = []
        for point in points:
            row: dict[str, Any] = {"label": point.label}
            for name, field, places in FIGURES:
                value = _figure(point.metrics, field)
                row[name] = int(value) if places == 0 else _text(value, places)
            same = [
                other.metrics
                for families in resampled
                for other in families.get(policy, ())
                if other.label == point.label
            ]
            row["interval"] = {
                name: interval_json(interval([_figure(m, field) for m in same]), max(places, 1))
                for name, field, places in FIGURES
            }
            rows.append(row)
        result[policy] = rows
    return result


def _reading_json(reading: Reading) -> dict[str, Any]:
    return {
        "label": reading.theirs.label,
        "rms_weight_drift": _text(reading.theirs.tracking, 6),
        "their_cost": _text(reading.theirs.cost, 2),
        "our_cost": _text(reading.our_cost, 2),
        "cut": _text(reading.cut, 4),
    }


def _against_json(against: Against) -> dict[str, Any]:
    comparison = against.comparison
    return {
        "median_cut": _text(comparison.median, 4),
        "worst_cut": _text(comparison.worst, 4),
        "required_cut": plain(against.required),
        "met": against.met,
        "readings": [_reading_json(r) for r in comparison.readings],
        "tighter_than_our_frontier": comparison.unreached,
        "interval": {
            "median_cut": interval_json(against.median, 4),
            "worst_cut": interval_json(against.worst, 4),
        },
    }


def _cron_json(cron: CronReading) -> dict[str, Any]:
    reading = cron.reading
    return {
        **(_reading_json(reading) if reading is not None else {"label": None, "cut": None}),
        "required_cut": plain(cron.required),
        "met": cron.met,
        "interval": {"cut": interval_json(cron.cut, 4)},
    }


def headline_json(
    headline: Headline | None, resamples: int, resample_days: int | None = None
) -> dict[str, Any] | None:
    if headline is None:
        return None
    against = {name: _against_json(a) for name, a in headline.against.items()}
    verdicts = [a.met for a in headline.against.values()] + [headline.daily_cron.met]
    return {
        "tracking": "rms_weight_drift",
        "cut": "1 - cost_aware's frontier cost at the baseline point's tracking / its cost",
        "resamples": resamples,
        # Each resample's length; its costs (in every ``interval``) are for that many days.
        "resample_days": resample_days,
        "against": against,
        "daily_cron": _cron_json(headline.daily_cron),
        "goals_met": all(v is True for v in verdicts),
    }


def _range(found: Interval | None) -> str:
    if found is None:
        return "-"
    return f"{percent(found.median)} [{percent(found.p5)}, {percent(found.p95)}]"


def headline_table(headline: Headline) -> list[str]:
    lines = [
        "| against | median cut | worst point | resampled median cut [5%, 95%] | goal |",
        "|---|---:|---:|---:|---|",
    ]
    for name, against in headline.against.items():
        comparison = against.comparison
        verdict = {True: "met", False: "MISSED", None: "not evaluated"}[against.met]
        lines.append(
            f"| {name} | {percent(comparison.median)} | {percent(comparison.worst)} "
            f"| {_range(against.median)} | {verdict} (>= {percent(against.required)}) |"
        )
    cron = headline.daily_cron
    cut = cron.reading.cut if cron.reading is not None else None
    verdict = {True: "met", False: "MISSED", None: "not evaluated"}[cron.met]
    lines.append(
        f"| daily cron (its point) | {percent(cut)} | - | {_range(cron.cut)} "
        f"| {verdict} (>= {percent(cron.required)}) |"
    )
    return lines


def families_table(main: Families) -> list[str]:
    lines = [
        "| point | total cost | RMS weight drift | TE vs daily target | turnover | trades |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for points in main.values():
        for p in points:
            m = p.metrics
            lines.append(
                f"| {p.label} | {plain(to_places(m.total_cost, 2))} "
                f"| {percent(m.tracking_error_rms_weight)} "
                f"| {percent(m.tracking_error_daily_benchmark)} "
                f"| {plain(to_places(m.turnover, 2))} | {m.trades} |"
            )
    return lines
