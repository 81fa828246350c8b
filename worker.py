"""Run a rebalancer worker: ``python worker.py`` (or ``rebalancer worker``).

Connects to Temporal with the pydantic data converter, migrates the ledger, then serves the
account workflows and their activities on the task queue until SIGINT or SIGTERM, finishing
in-flight activities within the graceful-shutdown window.

The ledger is the database_url setting (``DATABASE_URL``); without one the worker refuses to
start, naming it, unless REBALANCER_EMBEDDED_DATABASE=true asks for the embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from datetime import timedelta

import structlog
from temporalio.worker import Worker

from activities import Deps, StepContext, account_activities
from rebalancer.ledger.embedded import ledger_url
from rebalancer.ledger.migrate import migrate
from rebalancer.ledger.postgres_store import PostgresStore
from rebalancer.runtime import telemetry
from rebalancer.runtime.config import Settings, load_settings
from rebalancer.runtime.entry import exit_with, reporting_errors
from rebalancer.runtime.gc_policy import manage_collections, watch_gc_pauses
from rebalancer.runtime.logging_setup import configure_logging
from rebalancer.runtime.metrics_server import MetricsServer, sdk_runtime
from rebalancer.runtime.ports import free_port
from rebalancer.runtime.sandbox import workflow_runner
from rebalancer.runtime.temporal_connection import connect
from rebalancer.runtime.tracing import tracing_interceptor
from rebalancer.venue.credentials import credentials_path, open_gateway
from rebalancer.venue.gateway import VenueGateway
from rebalancer.venue.pool import GatewayPool
from workflows import WORKFLOWS

log = structlog.get_logger("rebalancer.worker")


def gateway_factory(settings: Settings) -> Callable[[str, str], VenueGateway]:
    credentials_file = credentials_path(settings)

    def factory(account_id: str, venue: str) -> VenueGateway:
        return open_gateway(
            account_id,
            venue,
            paper_url=settings.paper_venue_url,
            credentials_file=credentials_file,
        )

    return factory


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    dsn = await asyncio.to_thread(ledger_url, settings)
    applied = await migrate(dsn)
    log.info("ledger migrated", applied=applied)
    telemetry.label_accounts(settings.metrics_account_labels)
    interceptor = tracing_interceptor(settings.otlp_endpoint)
    metrics: MetricsServer | None = None
    runtime = None
    if settings.metrics_port is not None:
        sdk_port = free_port()
        runtime = sdk_runtime(sdk_port)
        metrics = MetricsServer(settings.metrics_host, settings.metrics_port, sdk_port)
        await metrics.start()
    client = await connect(
        settings, runtime=runtime, interceptors=[interceptor] if interceptor else []
    )
    async with PostgresStore.open(
        dsn, min_size=settings.db_pool_min, max_size=settings.db_pool_max
    ) as ledger:
        venues = GatewayPool(gateway_factory(settings), max_open=settings.max_open_gateways)
        worker = Worker(
            client,
            task_queue=settings.task_queue,
            workflows=WORKFLOWS,
            activities=account_activities(Deps(ledger=ledger, venues=venues)),
            interceptors=[StepContext()],
            workflow_runner=workflow_runner(settings.workflow_sandbox),
            max_concurrent_activities=settings.max_concurrent_activities,
            max_concurrent_local_activities=settings.max_concurrent_activities,
            max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
            max_cached_workflows=settings.max_cached_workflows,
            graceful_shutdown_timeout=timedelta(seconds=settings.graceful_shutdown_seconds),
        )
        log.info(
            "worker started",
            task_queue=settings.task_queue,
            temporal=settings.temporal_address,
            namespace=settings.temporal_namespace,
            metrics=f":{settings.metrics_port}/metrics" if settings.metrics_port else "off",
            tracing=settings.otlp_endpoint or "off",
        )
        try:
            async with worker:
                await stop.wait()
                log.info("worker stopping: finishing in-flight activities")
        finally:
            await venues.close()
            if metrics is not None:
                await metrics.stop()
    log.info("worker stopped")


async def serve(settings: Settings) -> None:
    watch_gc_pauses()
    collections: asyncio.Task[None] | None = None
    if settings.gc_freeze_seconds > 0:
        collections = asyncio.create_task(
            manage_collections(
                settings.gc_freeze_seconds,
                settings.gc_full_collection_seconds,
                settings.gc_full_collection_growth,
            )
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await run_worker(settings, stop)
    finally:
        if collections is not None:
            collections.cancel()


def main(settings: Settings | None = None) -> int:
    """Serve until stopped, with ``settings`` or those configured now."""
    settings = settings or load_settings()
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    # As `rebalancer worker` ends: a bad setting in one line, exit code 2.
    exit_with(reporting_errors(main))
