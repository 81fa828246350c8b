"""End-to-end fixtures: the real Temporal dev server, embedded PostgreSQL, the paper venue
process, and an in-process worker with the real activities."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import Deps, StepContext, account_activities
from rebalancer.devstack.stack import DEV_SERVER_DYNAMIC_CONFIG, bin_path
from rebalancer.ledger.postgres_store import PostgresStore
from rebalancer.pipeline import search_attributes as sa
from rebalancer.runtime.metrics_server import MetricsServer, sdk_runtime
from rebalancer.runtime.ports import free_port
from rebalancer.runtime.sandbox import workflow_runner
from rebalancer.venue.credentials import open_gateway
from rebalancer.venue.pool import GatewayPool
from tests.paper_venue_fixtures import PaperAccount, PaperVenueProcess
from workflows import WORKFLOWS


@pytest.fixture(scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(bin_path("temporal")),
        search_attributes=sa.ALL,
        dev_server_extra_args=[
            f"--dynamic-config-value={key}={value}"
            for key, value in DEV_SERVER_DYNAMIC_CONFIG.items()
        ],
    )
    yield env
    await env.shutdown()


@dataclass
class Pipeline:
    client: Client
    task_queue: str
    ledger: PostgresStore
    venue: PaperVenueProcess
    credentials: Path
    # Our account id -> the venue's own name for the account.
    venue_names: dict[str, str] = field(default_factory=dict)

    def add_credentials(self, account_id: str, paper: PaperAccount) -> None:
        data = json.loads(self.credentials.read_text())
        data["accounts"][account_id] = {
            "venue": "paper",
            "api_key": paper.api_key,
            "api_secret": paper.api_secret,
        }
        self.credentials.write_text(json.dumps(data))


@asynccontextmanager
async def pipeline(
    client: Client, ledger_dsn: str, venue: PaperVenueProcess, tmp_path: Path
) -> AsyncIterator[Pipeline]:
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps({"accounts": {}}))
    task_queue = f"e2e-{uuid.uuid4()}"
    async with PostgresStore.open(ledger_dsn) as ledger:
        venues = GatewayPool(
            lambda account_id, name: open_gateway(
                account_id, name, paper_url=venue.base_url, credentials_file=credentials
            )
        )
        worker = Worker(
            client,
            task_queue=task_queue,
            workflows=WORKFLOWS,
            activities=account_activities(Deps(ledger=ledger, venues=venues)),
            interceptors=[StepContext()],
            workflow_runner=workflow_runner(),
        )
        async with worker:
            yield Pipeline(client, task_queue, ledger, venue, credentials)
        await venues.close()


@asynccontextmanager
async def metered_pipeline(
    dev_server: WorkflowEnvironment, ledger_dsn: str, venue: PaperVenueProcess, tmp_path: Path
) -> AsyncIterator[tuple[Pipeline, int]]:
    """A pipeline whose worker serves its metrics (ours and the SDK's) on a loopback port, as
    `rebalancer worker` serves them: (pipeline, port)."""
    port, sdk_port = free_port(), free_port()
    # The SDK's metrics come from the client's runtime, so the worker needs a client of its own.
    client = await Client.connect(
        dev_server.client.service_client.config.target_host,
        data_converter=pydantic_data_converter,
        runtime=sdk_runtime(sdk_port),
    )
    server = MetricsServer("127.0.0.1", port, sdk_port)
    await server.start()
    try:
        async with pipeline(client, ledger_dsn, venue, tmp_path) as p:
            yield p, port
    finally:
        await server.stop()
