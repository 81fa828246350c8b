"""The embedded PostgreSQL: started once, reused by any process, stopped on request."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from rebalancer.ledger.connection import open_connection
from rebalancer.ledger.embedded import (
    ledger_url,
    pgdata_dir,
    running_embedded,
    start_embedded,
    stop_embedded,
)
from rebalancer.ledger.errors import LedgerUnavailable
from rebalancer.runtime.config import load_settings
from tests.postgres_fixtures import embedded_state

START_IN_SUBPROCESS = (
    "import sys\n"
    "from pathlib import Path\n"
    "from rebalancer.ledger.embedded import start_embedded\n"
    "print(start_embedded(Path(sys.argv[1])))\n"
)


@pytest.fixture
def state(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REBALANCER_DATABASE_URL", raising=False)
    with embedded_state("rebalancer-emb-") as directory:
        yield directory


def postmaster_pid(state: Path) -> int:
    return int((pgdata_dir(state) / "postmaster.pid").read_text().splitlines()[0])


def is_gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


async def start_in_subprocesses(state: Path, count: int) -> list[str]:
    ignored = {"DATABASE_URL", "REBALANCER_DATABASE_URL"}
    environment = {key: value for key, value in os.environ.items() if key not in ignored}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            START_IN_SUBPROCESS,
            str(state),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
        )
        for _ in range(count)
    ]
    outputs = await asyncio.gather(*(process.communicate() for process in processes))
    assert [process.returncode for process in processes] == [0] * count, outputs
    return [stdout.decode().strip().splitlines()[-1] for stdout, _ in outputs]


async def scalar(dsn: str, query: str) -> object:
    connection = await open_connection(dsn)
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


def test_database_url_wins_and_the_embedded_server_is_asked_for_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("REBALANCER_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://ledger@db.internal:5432/ledger")
    settings = load_settings(state_dir=tmp_path, embedded_database=True)
    assert ledger_url(settings) == "postgresql://ledger@db.internal:5432/ledger"
    monkeypatch.setenv("REBALANCER_DATABASE_URL", "postgresql://ledger@other:5432/ledger")
    assert ledger_url(load_settings(state_dir=tmp_path)) == "postgresql://ledger@other:5432/ledger"
    assert not (tmp_path / "postgres").exists()


def test_without_a_database_url_the_ledger_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("REBALANCER_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(LedgerUnavailable, match="set DATABASE_URL"):
        ledger_url(load_settings(state_dir=tmp_path))
    assert not (tmp_path / "postgres").exists(), "no database invented"


async def test_embedded_server_starts_is_reused_and_stops(state: Path) -> None:
    dsn = start_embedded(state)
    assert dsn.startswith("postgresql://postgres@/rebalancer?host=")
    assert await scalar(dsn, "SELECT current_database()") == "rebalancer"
    assert str(await scalar(dsn, "SHOW server_version")).startswith("18.")
    await scalar(dsn, "CREATE TABLE marker AS SELECT 42 AS answer")
    pid = postmaster_pid(state)

    # Reused in this process and from another one; that process exiting stops nothing.
    assert start_embedded(state) == dsn
    assert await start_in_subprocesses(state, 1) == [dsn]
    assert postmaster_pid(state) == pid
    assert running_embedded(state) == dsn
    assert await scalar(dsn, "SELECT answer FROM marker") == 42

    assert stop_embedded(state) is True
    assert is_gone(pid)
    assert running_embedded(state) is None
    assert not (pgdata_dir(state) / "postmaster.pid").exists()
    with pytest.raises(LedgerUnavailable, match="DATABASE_URL"):
        await scalar(dsn, "SELECT 1")
    assert stop_embedded(state) is False

    # The next start reuses the data directory.
    assert start_embedded(state) == dsn
    assert postmaster_pid(state) != pid
    assert await scalar(dsn, "SELECT answer FROM marker") == 42


async def test_processes_starting_at_once_share_one_server(state: Path) -> None:
    dsns = await start_in_subprocesses(state, 3)
    assert len(set(dsns)) == 1
    assert running_embedded(state) == dsns[0]
    assert await scalar(dsns[0], "SELECT count(*) FROM pg_database WHERE datname = 'rebalancer'")


async def test_a_stale_pid_file_does_not_pass_for_a_server(state: Path) -> None:
    dsn = start_embedded(state)
    stop_embedded(state)
    # After a reboot the recorded pid can belong to any process: here, this test's own.
    lines = [
        str(os.getpid()),
        str(pgdata_dir(state)),
        "0",
        "5432",
        str(pgdata_dir(state)),
        "",
        "0 0",
        "ready",
    ]
    (pgdata_dir(state) / "postmaster.pid").write_text("\n".join(lines) + "\n")
    assert running_embedded(state) is None
    assert stop_embedded(state) is False
    assert start_embedded(state) == dsn
    assert await scalar(dsn, "SELECT 1") == 1


def test_a_server_that_cannot_start_names_database_url(state: Path) -> None:
    pgdata = pgdata_dir(state)
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("18\n")  # looks initialised, holds nothing
    with pytest.raises(LedgerUnavailable, match=r"cannot start the embedded PostgreSQL") as caught:
        start_embedded(state)
    message = str(caught.value)
    assert "DATABASE_URL" in message
    assert str(pgdata / "log") in message
