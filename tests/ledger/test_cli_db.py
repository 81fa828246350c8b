from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from rebalancer.cli import main
from rebalancer.ledger.migrate import load_migrations

UNREACHABLE = "postgresql://ledger:secret@/ledger?host=/nonexistent-socket-dir"


# main() runs asyncio.run; a thread keeps it off the test session's event loop.
async def run_cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_db_migrate_then_status(
    empty_database_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("REBALANCER_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", empty_database_dsn)
    migrations = load_migrations()

    assert await run_cli("db", "status") == 0
    assert capsys.readouterr().out.count(" pending ") == len(migrations)

    assert await run_cli("db", "migrate") == 0
    out = capsys.readouterr().out
    assert f"applied {migrations[0].filename}" in out
    assert f"{len(migrations)} new" in out

    assert await run_cli("db", "migrate") == 0
    assert "0 new" in capsys.readouterr().out

    assert await run_cli("db", "status") == 0
    assert capsys.readouterr().out.count(" applied ") == len(migrations)


@pytest.mark.parametrize("variable", ["DATABASE_URL", "REBALANCER_DATABASE_URL"])
async def test_unreachable_database_is_one_line_and_exit_2(
    variable: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("DATABASE_URL", "REBALANCER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, UNREACHABLE)
    assert await run_cli("db", "migrate") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("rebalancer: error: cannot connect to PostgreSQL")
    assert "DATABASE_URL" in err
    assert "secret" not in err


def test_unreachable_database_prints_no_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from rebalancer.cli import run; run()", "db", "status"],
        env={"DATABASE_URL": UNREACHABLE, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
