"""/metrics has no authentication: it listens on loopback unless told otherwise."""

from __future__ import annotations

import pytest

from rebalancer.runtime.config import load_settings
from rebalancer.runtime.metrics_server import MetricsServer
from rebalancer.runtime.ports import free_port


@pytest.fixture(autouse=True)
def no_host_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REBALANCER_METRICS_HOST", raising=False)
    monkeypatch.delenv("REBALANCER_CONFIG_FILE", raising=False)


async def test_a_metrics_port_alone_binds_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REBALANCER_METRICS_PORT", str(free_port()))
    settings = load_settings()
    assert settings.metrics_port is not None
    server = MetricsServer(settings.metrics_host, settings.metrics_port, None)
    await server.start()
    try:
        assert server._runner is not None
        hosts = {address[0] for address in server._runner.addresses}
        assert hosts == {"127.0.0.1"}
    finally:
        await server.stop()


def test_all_interfaces_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REBALANCER_METRICS_HOST", "0.0.0.0")
    assert load_settings().metrics_host == "0.0.0.0"
