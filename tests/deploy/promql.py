"""Metric names in PromQL, and the series a worker's /metrics endpoint exports.

Not a PromQL parser: a tokenizer good enough to find every metric a dashboard query reads,
which is what decides whether a panel can ever show data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prometheus_client.metrics import MetricWrapperBase

from rebalancer.runtime.telemetry import REGISTRY

# Keywords and modifiers that look like identifiers but are not metrics.
KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
    "and", "or", "unless", "atan2", "inf", "nan", "start", "end",
}  # fmt: skip
LABEL_LIST = re.compile(
    r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", re.IGNORECASE
)
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
IDENTIFIER = re.compile(r"(?<![\w:$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(\s*\()?")
SELECTOR = re.compile(r"(?<![\w:$])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}")
MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)")
RANGE_FUNCTION = re.compile(r"\b(rate|irate|increase|delta|idelta|deriv)\s*\(\s*([a-zA-Z_:][\w:]*)")
LABEL_VALUES = re.compile(r"^\s*label_values\s*\(\s*(?:([a-zA-Z_:][\w:]*)\s*(?:\{[^}]*\})?\s*,)?")


def _without_noise(expr: str) -> str:
    text = STRING.sub('""', expr)
    text = LABEL_LIST.sub(" ", text)
    text = re.sub(r"\{[^}]*\}", " ", text)
    return re.sub(r"\[[^\]]*\]", " ", text)


def metric_names(expr: str) -> set[str]:
    """Every metric name ``expr`` reads (functions, keywords, labels and durations excluded)."""
    names = set()
    for match in IDENTIFIER.finditer(_without_noise(expr)):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in KEYWORDS:
            continue
        names.add(name)
    return names


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """(metric, label names matched) for each ``metric{...}`` in ``expr``."""
    text = STRING.sub('""', expr)
    return [
        (match.group(1), {m.group(1) for m in MATCHER.finditer(match.group(2))})
        for match in SELECTOR.finditer(text)
    ]


def range_function_inputs(expr: str) -> list[tuple[str, str]]:
    """(function, metric) for rate/increase/... applied directly to a metric."""
    return [(m.group(1), m.group(2)) for m in RANGE_FUNCTION.finditer(STRING.sub('""', expr))]


def label_values_metric(query: str) -> str | None:
    """The metric of a Grafana ``label_values(metric, label)`` variable query."""
    match = LABEL_VALUES.match(query)
    return match.group(1) if match else None


@dataclass(frozen=True)
class Series:
    """One series name on /metrics: its family's type and labels."""

    name: str
    kind: str  # counter, gauge, histogram
    labels: frozenset[str]

    @property
    def cumulative(self) -> bool:
        """Counters and histogram parts: the series rate() and increase() are meant for."""
        return self.kind == "counter" or self.name.endswith(("_bucket", "_sum", "_count"))


SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
}

# Temporal SDK runtime metrics the dashboard reads. The worker's /metrics appends the SDK's
# own exporter (rebalancer/runtime/metrics_server.py: MetricsServer), which names them
# temporal_<name>, with latencies in milliseconds. Both were read off a worker's endpoint
# with temporalio 1.35.0 (sdk-core's Prometheus exporter) while workflows and activities ran.
SDK_SERIES = {
    "temporal_activity_schedule_to_start_latency": ("histogram", {"namespace", "task_queue"}),
    "temporal_workflow_task_schedule_to_start_latency": ("histogram", {"namespace", "task_queue"}),
}
# Labels Prometheus adds to every series it scrapes.
TARGET_LABELS = {"job", "instance"}


def exported_series() -> dict[str, Series]:
    """Every series name the worker's /metrics can serve, from the registry and SDK_SERIES."""
    series: dict[str, Series] = {}
    families: dict[str, tuple[str, set[str]]] = dict(SDK_SERIES.items())
    for collector in list(REGISTRY._collector_to_names):
        if not isinstance(collector, MetricWrapperBase):
            continue
        for described in collector.describe():
            families[described.name] = (described.type, set(collector._labelnames))
    for family, (kind, labels) in families.items():
        for suffix in SUFFIXES[kind]:
            extra = {"le"} if suffix == "_bucket" else set()
            name = family + suffix
            series[name] = Series(name, kind, frozenset(labels | extra | TARGET_LABELS))
    return series
