"""Metrics scraped from a worker running real cycles, and spans of one traced cycle."""

from __future__ import annotations

import asyncio
import re
import urllib.request
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from rebalancer.runtime import telemetry
from rebalancer.runtime.tracing import tracing_interceptor
from tests.e2e.conftest import metered_pipeline, pipeline
from tests.e2e.test_pipeline import settle, start, until
from tests.paper_venue_fixtures import PaperVenueProcess

pytestmark = pytest.mark.e2e

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$")


def scrape(port: int) -> list[tuple[str, str, float]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples = []
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match and not line.startswith("#"):
            samples.append((match.group(1), match.group(2) or "", float(match.group(3))))
    return samples


def values(samples: list[tuple[str, str, float]], name: str, *labels: str) -> list[float]:
    return [v for n, lbl, v in samples if n == name and all(x in lbl for x in labels)]


async def test_metrics_from_real_cycles(
    dev_server: WorkflowEnvironment,
    ledger_dsn: str,
    paper_faults: PaperVenueProcess,
    tmp_path: Path,
) -> None:
    async with metered_pipeline(dev_server, ledger_dsn, paper_faults, tmp_path) as (p, port):
        # A short maintenance window: the first detect fails, is counted, and retried.
        paper_faults.set_faults(maintenance=True, maintenance_seconds=1)
        handle = await start(p, "metrics-1", {"BTC": "0.4", "ETH": "0.3", "USDT": "0.3"})
        await until(
            handle,
            lambda s: (
                s.totals.get("orders_filled", 0) >= 2
                and s.last_cycle is not None
                and s.last_cycle.realised_cost is not None
            ),
        )
        await settle(handle)
        samples = await asyncio.to_thread(scrape, port)
        await handle.terminate()

    drift = values(samples, telemetry.DRIFT, 'account="metrics-1"', 'asset="BTC"')
    assert drift, "drift gauge missing"
    assert all(-1 <= d <= 1 for d in drift)
    latency_count = values(samples, f"{telemetry.LATENCY}_count")
    latency_sum = values(samples, f"{telemetry.LATENCY}_sum")
    assert sum(latency_count) >= 2
    assert 0 < sum(latency_sum) / sum(latency_count) < 5, "detect->ack should take milliseconds"
    assert sum(values(samples, f"{telemetry.ORDERS}_total", 'symbol="BTC/USDT"')) >= 1
    assert sum(values(samples, f"{telemetry.FILLS}_total", 'outcome="filled"')) >= 1
    assert sum(values(samples, f"{telemetry.SLIPPAGE}_count")) >= 1
    assert sum(values(samples, f"{telemetry.PREDICTED}_count")) >= 1
    assert sum(values(samples, f"{telemetry.REALISED}_count")) >= 1
    assert values(samples, telemetry.LEGS_HELD, 'account="metrics-1"')
    assert sum(values(samples, f"{telemetry.ERRORS}_total", 'kind="VenueUnavailable"')) >= 1
    # The SDK's own runtime metrics share the endpoint.
    assert any(name.startswith("temporal_activity_execution") for name, _, _ in samples)


async def test_spans_for_one_cycle(
    dev_server: WorkflowEnvironment,
    ledger_dsn: str,
    paper_venue: PaperVenueProcess,
    tmp_path: Path,
) -> None:
    exporter = InMemorySpanExporter()
    interceptor = tracing_interceptor(None, exporter)
    assert interceptor is not None
    client = await Client.connect(
        dev_server.client.service_client.config.target_host,
        data_converter=pydantic_data_converter,
        interceptors=[interceptor],
    )
    async with pipeline(client, ledger_dsn, paper_venue, tmp_path) as p:
        handle = await start(p, "traced-1", {"BTC": "0.3", "USDT": "0.7"})
        await until(handle, lambda s: s.totals.get("orders_filled", 0) >= 1)
        await settle(handle)
        await handle.terminate()
    names = {span.name for span in exporter.get_finished_spans()}
    for expected in (
        "StartWorkflow:AccountWorkflow",
        "RunWorkflow:AccountWorkflow",
        "StartActivity:detect_drift",
        "RunActivity:detect_drift",
        "RunActivity:assess_liquidity",
        "RunActivity:place_limit_order",
        # No await_fill: a marketable order that fills on placement waits for nothing.
        "RunActivity:reconcile",
    ):
        assert expected in names, f"{expected} not in {sorted(names)}"
    spans = exporter.get_finished_spans()
    started = [s for s in spans if s.name == "StartWorkflow:AccountWorkflow"]
    assert len(started) == 1
    workflow_trace = started[0].context.trace_id
    # Queries and signals are their own client calls, with their own traces; everything the
    # cycle itself did hangs under the trace that started the workflow.
    cycle = [s for s in spans if s.name.startswith(("RunActivity:", "StartActivity:"))]
    assert cycle
    assert {s.context.trace_id for s in cycle} == {workflow_trace}
