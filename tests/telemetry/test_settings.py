"""Configuration: one settings model; a bad value stops the start with the setting's name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rebalancer.domain.errors import InvalidInput
from rebalancer.runtime.config import load_settings


def test_environment_and_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "rebalancer.yaml"
    config.write_text("task_queue: from-file\nmetrics_port: 9100\n")
    monkeypatch.setenv("REBALANCER_CONFIG_FILE", str(config))
    monkeypatch.setenv("REBALANCER_METRICS_PORT", "9200")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@h/db")
    settings = load_settings()
    assert settings.task_queue == "from-file"
    assert settings.metrics_port == 9200, "the environment wins over the file"
    assert settings.database_url is not None
    assert "p@h" not in repr(settings), "the DSN is a secret in reprs"


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("REBALANCER_DB_POOL_MIN", "many", "db_pool_min"),
        ("REBALANCER_METRICS_PORT", "70000", "metrics_port"),
        ("REBALANCER_LOG_FORMAT", "xml", "log_format"),
        ("REBALANCER_TEMPORAL_TLS_CLIENT_CERT", "/tmp/cert.pem", "temporal_tls_client_key"),
    ],
)
def test_bad_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidInput) as error:
        load_settings()
    assert named in str(error.value)


def test_unknown_file_setting_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "rebalancer.json"
    config.write_text('{"task_queeu": "typo"}')
    monkeypatch.setenv("REBALANCER_CONFIG_FILE", str(config))
    with pytest.raises(InvalidInput) as error:
        load_settings()
    assert "task_queeu" in str(error.value)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"REBALANCER_DB_POOL_MIN": "many"}, "REBALANCER_DB_POOL_MIN"),
        # No ledger configured: refused, not an embedded one invented.
        ({}, "DATABASE_URL"),
    ],
    ids=["bad setting", "no database"],
)
def test_worker_refuses_in_one_line_naming_the_setting(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    result = subprocess.run(
        [sys.executable, "worker.py"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
    )
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / ".local" / "state" / "rebalancer" / "postgres").exists()
