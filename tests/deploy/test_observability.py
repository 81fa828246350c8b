"""Prometheus scrapes what the stack serves; Grafana loads a dashboard whose queries can work."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.deploy.compose_model import services
from tests.deploy.dashboard_checks import check_dashboard, check_expr, metrics_read
from tests.deploy.observability_checks import (
    check_prometheus,
    grafana_provisioning,
    prometheus_config,
)
from tests.deploy.promql import Series, exported_series
from tests.deploy.stack_files import compose, load_json

# What issue 8 asks the dashboard to show, by the series that carry it.
REQUIRED_SERIES = {
    "drift by account": "rebalance_drift_gauge",
    "latency percentiles": "execution_latency_seconds_bucket",
    "fills": "rebalance_order_fills_total",
    "slippage": "slippage_budget_utilization_bucket",
    "held legs": "rebalance_legs_held",
    "errors by symbol": "rebalance_errors_total",
    "predicted cost": "rebalance_predicted_cost_sum",
    "realised cost": "rebalance_realised_cost_sum",
}


@pytest.fixture
def stack() -> dict[str, Any]:
    return compose()


@pytest.fixture(scope="module")
def exported() -> dict[str, Series]:
    return exported_series()


@pytest.fixture
def dashboard() -> dict[str, Any]:
    provisioning = grafana_provisioning(compose())
    assert len(provisioning.dashboards) == 1, provisioning
    data = load_json(provisioning.dashboards[0])
    assert isinstance(data, dict)
    return data


def one(problems: list[str], *fragments: str) -> None:
    assert any(all(f in problem for f in fragments) for problem in problems), problems


# --- Prometheus ---------------------------------------------------------------------------


def test_prometheus_scrapes_the_worker_and_the_temporal_server(stack: dict[str, Any]) -> None:
    config, problems = prometheus_config(stack)
    assert problems == []
    assert config is not None
    assert check_prometheus(stack, config) == []


def test_prometheus_targets_must_resolve(stack: dict[str, Any]) -> None:
    config, _ = prometheus_config(stack)
    assert config is not None
    broken = copy.deepcopy(config)
    jobs = {job["job_name"]: job for job in broken["scrape_configs"]}
    jobs["rebalancer-worker"]["dns_sd_configs"][0]["port"] = 9465
    jobs["temporal-server"]["static_configs"][0]["targets"] = ["temporal-server:8000"]
    problems = check_prometheus(stack, broken)
    one(problems, "rebalancer-worker", "worker does not listen on 9465")
    one(problems, "temporal-server is not a compose service")
    one(problems, "nothing scrapes worker on its metrics port 9464")
    one(problems, "nothing scrapes temporal on its metrics port 8000")


def test_prometheus_config_must_be_mounted(stack: dict[str, Any]) -> None:
    services(stack)["prometheus"]["volumes"] = ["prometheus-data:/prometheus"]
    config, problems = prometheus_config(stack)
    assert config is None
    one(problems, "prometheus", "--config.file /etc/prometheus/prometheus.yml")


# --- Grafana provisioning -----------------------------------------------------------------


def test_grafana_provisioning(stack: dict[str, Any]) -> None:
    provisioning = grafana_provisioning(stack)
    assert provisioning.problems == []
    assert provisioning.datasource_uids == {"prometheus"}


def test_grafana_provisioning_must_be_mounted(stack: dict[str, Any]) -> None:
    grafana = services(stack)["grafana"]
    grafana["volumes"] = [v for v in grafana["volumes"] if "dashboards" not in v]
    one(grafana_provisioning(stack).problems, "reads /etc/grafana/dashboards", "no bind mount")
    grafana["volumes"] = ["grafana-data:/var/lib/grafana"]
    one(grafana_provisioning(stack).problems, "nothing mounts /etc/grafana/provisioning")


def test_grafana_home_dashboard_must_be_provisioned(stack: dict[str, Any]) -> None:
    services(stack)["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] = (
        "/etc/grafana/dashboards/home.json"
    )
    one(grafana_provisioning(stack).problems, "home dashboard", "home.json")


# --- the dashboard ----------------------------------------------------------------------


def test_dashboard_is_valid_and_reads_only_exported_metrics(
    dashboard: dict[str, Any], exported: dict[str, Series]
) -> None:
    assert dashboard["uid"] == "rebalancer"
    assert check_dashboard(dashboard, {"prometheus"}, exported) == []


def test_dashboard_shows_what_issue_8_asks_for(dashboard: dict[str, Any]) -> None:
    read = metrics_read(dashboard)
    missing = {what: name for what, name in REQUIRED_SERIES.items() if name not in read}
    assert missing == {}
    latency = [e for t in _targets(dashboard) if "execution_latency_seconds" in (e := t["expr"])]
    assert {q for q in ("0.5", "0.95", "0.99") if any(f"({q}," in e for e in latency)} == {
        "0.5",
        "0.95",
        "0.99",
    }
    errors = [t["expr"] for t in _targets(dashboard) if "rebalance_errors_total" in t["expr"]]
    assert any("by (symbol, kind)" in e for e in errors)


def _targets(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for p in dashboard["panels"] for t in p.get("targets") or []]


def test_dashboard_structure_problems(
    dashboard: dict[str, Any], exported: dict[str, Series]
) -> None:
    broken = copy.deepcopy(dashboard)
    del broken["uid"]
    broken["schemaVersion"] = "39"
    panels = [p for p in broken["panels"] if p["type"] != "row"]
    panels[1]["id"] = panels[0]["id"]
    panels[2]["datasource"] = {"type": "prometheus", "uid": "prom"}
    panels[3]["gridPos"] = {"x": 20, "y": 0, "w": 8, "h": 4}
    panels[4]["targets"][0]["expr"] = " "
    panels[5]["targets"] = []
    broken["templating"]["list"][0]["query"]["query"] = "label_values(drift_gauge, account)"
    problems = check_dashboard(broken, {"prometheus"}, exported)
    one(problems, "missing uid")
    one(problems, "schemaVersion must be an integer")
    one(problems, f"id {panels[0]['id']} is used twice")
    one(problems, "datasource uid 'prom' is not a provisioned datasource")
    one(problems, "does not fit the 24-column grid")
    one(problems, "has no expr")
    one(problems, "has no targets")
    one(problems, "variable account", "drift_gauge is not a metric")


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("rebalance_drift", "rebalance_drift is not a metric"),
        ("sum(rate(rebalance_orders[5m]))", "rebalance_orders is not a metric"),
        ("execution_latency_seconds_bucket{symbol='x'}", "has no label symbol"),
        ("rate(rebalance_legs_held[5m])", "rate() of rebalance_legs_held, a gauge"),
        (
            "histogram_quantile(0.9, sum by (venue) (rate(execution_latency_seconds_bucket[5m])))",
            "must aggregate by le",
        ),
        (
            "histogram_quantile(0.9, sum by (le) (rate(execution_latency_seconds_count[5m])))",
            "needs _bucket series",
        ),
        ("sum(rate(rebalance_errors_total[5m])", "unbalanced brackets"),
        ("temporal_activity_execution_latency_bucket", "is not a metric the worker exports"),
    ],
)
def test_query_problems(expr: str, fragment: str, exported: dict[str, Series]) -> None:
    one(check_expr("panel", expr, exported), fragment)
