"""The worker's /metrics endpoint: our registry (rebalancer.runtime.telemetry), then the Temporal
SDK's runtime metrics, which its own exporter serves on a loopback port and this endpoint
appends, so Prometheus scrapes one target per worker."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from prometheus_client import generate_latest
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from rebalancer.runtime.telemetry import REGISTRY


def sdk_runtime(port: int) -> Runtime:
    """A Temporal runtime whose own Prometheus exporter listens on loopback ``port``."""
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=f"127.0.0.1:{port}", counters_total_suffix=True)
        )
    )


class MetricsServer:
    """Serves /metrics: our registry, then the SDK runtime's metrics fetched from loopback."""

    def __init__(self, host: str, port: int, sdk_port: int | None) -> None:
        self.host, self.port, self.sdk_port = host, port, sdk_port
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def _metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(REGISTRY).decode()
        if self.sdk_port is not None and self._session is not None:
            try:
                url = f"http://127.0.0.1:{self.sdk_port}/metrics"
                async with self._session.get(url) as reply:
                    body += await reply.text()
            except aiohttp.ClientError:
                body += "# temporal sdk metrics unavailable\n"
        return web.Response(text=body, content_type="text/plain", charset="utf-8")

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()
