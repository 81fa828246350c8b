"""A Grafana dashboard JSON that Grafana can load and whose every query can show data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tests.deploy.compose_checks import Problems
from tests.deploy.promql import (
    STRING,
    Series,
    label_values_metric,
    metric_names,
    range_function_inputs,
    selectors,
)

REQUIRED_KEYS = ("uid", "title", "panels", "schemaVersion")
GRID_WIDTH = 24
QUANTILE = re.compile(r"histogram_quantile\s*\(\s*[\d.]+\s*,\s*(?P<rest>.*)", re.DOTALL)
BY_LE = re.compile(r"\bby\s*\(([^)]*)\)")


def all_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Top-level panels and those nested in collapsed rows."""
    for panel in dashboard.get("panels") or []:
        yield panel
        yield from panel.get("panels") or []


def queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every panel target."""
    for panel in all_panels(dashboard):
        for target in panel.get("targets") or []:
            yield f"panel {panel.get('id')} ({panel.get('title')})", str(target.get("expr", ""))


def check_dashboard(
    dashboard: dict[str, Any], datasource_uids: set[str], exported: dict[str, Series]
) -> Problems:
    problems = [f"dashboard: missing {key}" for key in REQUIRED_KEYS if key not in dashboard]
    if not isinstance(dashboard.get("schemaVersion"), int):
        problems.append("dashboard: schemaVersion must be an integer")
    ids: set[Any] = set()
    for panel in all_panels(dashboard):
        where = f"panel {panel.get('id')} ({panel.get('title')})"
        if not isinstance(panel.get("id"), int):
            problems.append(f"{where}: id must be an integer")
        elif panel["id"] in ids:
            problems.append(f"{where}: id {panel['id']} is used twice")
        ids.add(panel.get("id"))
        if not panel.get("type") or not panel.get("title"):
            problems.append(f"{where}: needs a type and a title")
        problems += _grid(where, panel.get("gridPos"))
        if panel.get("type") == "row":
            continue
        problems += _datasource(where, panel.get("datasource"), datasource_uids)
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"{where}: has no targets")
        refs = [target.get("refId") for target in targets]
        if len(refs) != len(set(refs)) or not all(refs):
            problems.append(f"{where}: every target needs its own refId")
        for target in targets:
            if not str(target.get("expr", "")).strip():
                problems.append(f"{where}: target {target.get('refId')} has no expr")
            if "datasource" in target:
                problems += _datasource(where, target["datasource"], datasource_uids)
    for where, expr in queries(dashboard):
        problems += check_expr(where, expr, exported)
    for variable in (dashboard.get("templating") or {}).get("list") or []:
        where = f"variable {variable.get('name')}"
        if variable.get("type") == "query":
            problems += _datasource(where, variable.get("datasource"), datasource_uids)
            query = variable.get("query")
            text = str(query.get("query", "") if isinstance(query, dict) else query or "")
            metric = label_values_metric(text)
            if metric is not None and metric not in exported:
                problems.append(f"{where}: {metric} is not a metric the worker exports")
    return problems


def check_expr(where: str, expr: str, exported: dict[str, Series]) -> Problems:
    problems = []
    if not _balanced(expr):
        problems.append(f"{where}: unbalanced brackets in {expr}")
    for name in sorted(metric_names(expr)):
        if name not in exported:
            problems.append(f"{where}: {name} is not a metric the worker exports")
    for name, labels in selectors(expr):
        series = exported.get(name)
        if series is not None and not labels <= series.labels:
            unknown = ", ".join(sorted(labels - series.labels))
            problems.append(f"{where}: {name} has no label {unknown}")
    for function, name in range_function_inputs(expr):
        series = exported.get(name)
        if series is not None and not series.cumulative:
            problems.append(f"{where}: {function}() of {name}, a {series.kind}, means nothing")
    for match in QUANTILE.finditer(expr):
        rest = match.group("rest")
        by = BY_LE.search(rest)
        reads_buckets = any(name.endswith("_bucket") for name in metric_names(rest))
        if not reads_buckets:
            problems.append(f"{where}: histogram_quantile needs _bucket series")
        if by is None or "le" not in {label.strip() for label in by.group(1).split(",")}:
            problems.append(f"{where}: histogram_quantile must aggregate by le")
    return problems


def _balanced(expr: str) -> bool:
    pairs, stack = {")": "(", "]": "[", "}": "{"}, []
    for char in STRING.sub('""', expr):
        if char in "([{":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            return False
    return not stack


def _grid(where: str, grid: Any) -> Problems:
    if not isinstance(grid, dict) or not all(isinstance(grid.get(k), int) for k in "xywh"):
        return [f"{where}: gridPos needs integer x, y, w, h"]
    if grid["x"] < 0 or grid["w"] < 1 or grid["x"] + grid["w"] > GRID_WIDTH or grid["h"] < 1:
        return [f"{where}: gridPos {grid} does not fit the {GRID_WIDTH}-column grid"]
    return []


def _datasource(where: str, datasource: Any, uids: set[str]) -> Problems:
    uid = datasource.get("uid") if isinstance(datasource, dict) else None
    if uid not in uids:
        return [f"{where}: datasource uid {uid!r} is not a provisioned datasource {sorted(uids)}"]
    return []


def metrics_read(dashboard: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for _, expr in queries(dashboard):
        names |= metric_names(expr)
    return names
