"""The PromQL tokenizer finds metrics and nothing else; the exported list matches telemetry."""

from __future__ import annotations

import pytest

from rebalancer.runtime import telemetry
from tests.deploy.promql import (
    exported_series,
    label_values_metric,
    metric_names,
    range_function_inputs,
    selectors,
)


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("rebalance_drift_gauge", {"rebalance_drift_gauge"}),
        (
            'histogram_quantile(0.95, sum by (le, symbol) (rate(x_bucket{venue=~"$venue"}'
            "[$__rate_interval])))",
            {"x_bucket"},
        ),
        ("sum(rate(a_sum[5m])) / sum(rate(a_count[5m])) > bool 1e3", {"a_sum", "a_count"}),
        ("a and on (job, instance) b offset 5m", {"a", "b"}),
        ("max without (asset) (abs(g{account!='by'}))", {"g"}),
        ("count(count by (account) (g))", {"g"}),
        ("sum(increase(c_total[$__range])) or vector(0)", {"c_total"}),
    ],
)
def test_metric_names(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_selectors_and_range_functions() -> None:
    expr = 'rate(c_total{kind="RateLimited", symbol!~"-"}[5m]) + g{account=~"$account"}'
    assert selectors(expr) == [("c_total", {"kind", "symbol"}), ("g", {"account"})]
    assert range_function_inputs(expr) == [("rate", "c_total")]
    assert label_values_metric("label_values(g, account)") == "g"
    assert label_values_metric("label_values(account)") is None


def test_exported_series_follow_the_registry() -> None:
    series = exported_series()
    assert series[telemetry.DRIFT].kind == "gauge"
    assert {"account", "asset"} <= series[telemetry.DRIFT].labels
    assert f"{telemetry.ORDERS}_total" in series
    assert telemetry.ORDERS not in series
    for part in ("_bucket", "_sum", "_count"):
        assert f"{telemetry.LATENCY}{part}" in series
    assert "le" in series[f"{telemetry.LATENCY}_bucket"].labels
    assert "le" not in series[f"{telemetry.LATENCY}_sum"].labels
    assert series[f"{telemetry.ERRORS}_total"].cumulative
    assert not series[telemetry.LEGS_HELD].cumulative
