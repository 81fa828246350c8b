"""The alert rules on a real Prometheus, scraping a real worker's metrics.

deploy/alerts.yml must load (promtool), pass its own unit tests (deploy/alerts.test.yml), and
fire on a live worker: an account without credentials needs attention, and a worker that
does not answer is down. The live copy of the rules only shortens each `for:` to 0s so the
test need not wait the production durations (promtool's unit tests cover those).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.testing import WorkflowEnvironment

from rebalancer.pipeline.messages import AccountConfig
from rebalancer.pipeline.names import workflow_id
from rebalancer.pipeline.state import AccountWorkflowInput
from rebalancer.runtime.ports import free_port
from tests.e2e.conftest import metered_pipeline
from tests.e2e.test_pipeline import start, until
from tests.paper_venue_fixtures import PaperVenueProcess
from workflows import AccountWorkflow

pytestmark = pytest.mark.e2e

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")


def _tools() -> tuple[str, str]:
    if PROMETHEUS is None or PROMTOOL is None:
        if os.environ.get("CI"):
            raise AssertionError("CI must install Prometheus (Debian package `prometheus`)")
        pytest.skip("Prometheus is not installed (apt-get install prometheus)")
    return PROMETHEUS, PROMTOOL


def test_rules_load_and_pass_their_unit_tests() -> None:
    _, promtool = _tools()
    checked = subprocess.run(
        [promtool, "check", "rules", "alerts.yml"], cwd=DEPLOY, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "6 rules found" in checked.stdout
    tested = subprocess.run(
        [promtool, "test", "rules", "alerts.test.yml"], cwd=DEPLOY, capture_output=True, text=True
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_alertmanager_routes_to_pagerduty() -> None:
    amtool = shutil.which("amtool")
    if amtool is None:
        if os.environ.get("CI"):
            raise AssertionError("CI must install amtool (Debian package prometheus-alertmanager)")
        pytest.skip("amtool is not installed (apt-get install prometheus-alertmanager)")
    checked = subprocess.run(
        [amtool, "check-config", "alertmanager.yml"], cwd=DEPLOY, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    routed = subprocess.run(
        [
            amtool,
            "config",
            "routes",
            "test",
            "--config.file=alertmanager.yml",
            "alertname=RebalancerDriftOutsideBand",
            "severity=ticket",
        ],
        cwd=DEPLOY,
        capture_output=True,
        text=True,
    )
    assert routed.stdout.strip() == "pagerduty-low", routed.stdout + routed.stderr


def _get(port: int, path: str, **query: str) -> Any:
    url = f"http://127.0.0.1:{port}{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@contextmanager
def prometheus(tmp_path: Path, worker_port: int) -> Iterator[int]:
    binary, promtool = _tools()
    rules = yaml.safe_load((DEPLOY / "alerts.yml").read_text())
    for group in rules["groups"]:
        group["interval"] = "1s"
        for rule in group["rules"]:
            rule["for"] = "0s"
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(rules))
    dead = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(tmp_path / "alerts.yml")],
        "scrape_configs": [
            {
                "job_name": "rebalancer-worker",
                "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}],
            },
            # A second worker that never answers: down.
            {
                "job_name": "rebalancer-worker-gone",
                "static_configs": [{"targets": [f"127.0.0.1:{dead}"]}],
            },
        ],
    }
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    checked = subprocess.run([promtool, "check", "config", str(path)], capture_output=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={path}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "prometheus.log").open("w"),
    )
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


async def _firing(port: int, name: str, seconds: float = 60) -> list[dict[str, Any]]:
    last: Any = None
    for _ in range(int(seconds * 4)):
        try:
            last = await asyncio.to_thread(_get, port, "/api/v1/alerts")
        except OSError:
            last = None
        alerts = [
            a
            for a in (last or {}).get("data", {}).get("alerts", [])
            if a["labels"]["alertname"] == name and a["state"] == "firing"
        ]
        if alerts:
            return alerts
        await asyncio.sleep(0.25)
    raise AssertionError(f"{name} never fired; last answer: {last}")


async def test_alerts_fire_on_a_live_worker(
    dev_server: WorkflowEnvironment,
    ledger_dsn: str,
    paper_venue: PaperVenueProcess,
    tmp_path: Path,
) -> None:
    async with metered_pipeline(dev_server, ledger_dsn, paper_venue, tmp_path) as (p, port):
        healthy = await start(p, "alert-ok", {"BTC": "0.4", "USDT": "0.6"})
        await until(healthy, lambda s: s.totals.get("orders_filled", 0) >= 1)
        # No credentials were created for this one: it needs attention.
        config = AccountConfig.model_validate(
            {"account_id": "alert-keys", "venue": "paper", "targets": {"USDT": "1"}}
        )
        stuck = await p.client.start_workflow(
            AccountWorkflow.run,
            AccountWorkflowInput(config=config),
            id=workflow_id("alert-keys"),
            task_queue=p.task_queue,
        )
        await until(stuck, lambda s: s.state == "needs_attention")
        with prometheus(tmp_path, port) as prom:
            attention = await _firing(prom, "RebalancerAccountNeedsAttention")
            assert {a["labels"]["account"] for a in attention} == {"alert-keys"}
            down = await _firing(prom, "RebalancerWorkerDown")
            assert {a["labels"]["job"] for a in down} == {"rebalancer-worker-gone"}
            targets = await asyncio.to_thread(_get, prom, "/api/v1/targets")
            health = {t["labels"]["job"]: t["health"] for t in targets["data"]["activeTargets"]}
            assert health["rebalancer-worker"] == "up"
            drift = await asyncio.to_thread(
                _get, prom, "/api/v1/query", query='rebalance_drift_gauge{account="alert-ok"}'
            )
            assert drift["data"]["result"], "the worker's drift was not scraped"
            band = await asyncio.to_thread(
                _get, prom, "/api/v1/query", query='rebalance_drift_band{account="alert-ok"}'
            )
            assert band["data"]["result"], "the band the drift alert compares with is missing"
        await healthy.terminate()
        await stuck.terminate()
