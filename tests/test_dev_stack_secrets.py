"""The dev stack's record: no database password on disk or in output, 0600, and `dev down`
signals only processes that are still the ones it started."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from rebalancer.cli import dev as dev_cli
from rebalancer.cli import main
from rebalancer.devstack.stack import DevStack, ProcessRecord, StackRecord, alive, worker_env

PASSWORD = "Pl4nted-dev-pw"
SLEEP = "import time; time.sleep(120)"
DSN = f"postgresql://ledger:{PASSWORD}@db.internal/ledger?sslmode=disable&password={PASSWORD}"


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", SLEEP], start_new_session=True)
    try:
        yield process
    finally:
        process.kill()
        process.wait(10)


def record_with_password(tmp_path: Path) -> StackRecord:
    record = StackRecord(
        state_dir=str(tmp_path),
        ports={"temporal": 7233, "ui": 8233, "venue": 8765},
        database_url=DSN,
        database_url_from="DATABASE_URL",
    )
    env = worker_env(record, tmp_path / "credentials.json", "q")
    record.processes.append(
        ProcessRecord(name="worker-1", pid=1, argv=["x"], log="w.log", env=env, create_time=1.0)
    )
    return record


def test_the_record_on_disk_holds_no_password_and_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = DevStack(tmp_path)
    stack.record_path.write_text("{}")
    stack.record_path.chmod(0o644)
    stack.save(record_with_password(tmp_path))
    text = stack.record_path.read_text()
    assert PASSWORD not in text
    assert stat.S_IMODE(stack.record_path.stat().st_mode) == 0o600
    assert json.loads(text)["database_url_from"] == "DATABASE_URL"

    # Read back in a shell that has the variable: the full DSN again, for workers too.
    monkeypatch.setenv("DATABASE_URL", DSN)
    again = stack.record()
    assert again is not None
    assert again.database_url == DSN
    assert again.processes[0].env["DATABASE_URL"] == DSN
    # Without it: the DSN without its password, never a wrong one.
    monkeypatch.delenv("DATABASE_URL")
    without = stack.record()
    assert without is not None
    assert PASSWORD not in without.database_url


def test_status_and_its_json_show_no_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REBALANCER_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", DSN)
    (tmp_path / "dev").mkdir()
    DevStack(tmp_path / "dev").save(record_with_password(tmp_path))
    assert PASSWORD not in json.dumps(DevStack(tmp_path / "dev").status())
    main(["dev", "status", "--json"])
    main(["dev", "status"])
    out = capsys.readouterr().out
    assert PASSWORD not in out
    assert json.loads(out.splitlines()[0])["database_url"].startswith("postgresql://ledger:***@")


def test_dev_up_prints_no_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Stack:
        def up(self, *args: object, **kwargs: object) -> StackRecord:
            return record_with_password(tmp_path)

    monkeypatch.setattr(dev_cli, "stack", Stack)
    main(["dev", "up"])
    out = capsys.readouterr().out
    assert PASSWORD not in out
    assert "postgresql://ledger:***@db.internal" in out
    assert "DATABASE_URL" in out, "says where the password is"


def test_down_leaves_a_process_that_reused_a_recorded_pid(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    started = psutil.Process(sleeper.pid).create_time()
    stack = DevStack(tmp_path)
    stack.save(
        StackRecord(
            state_dir=str(tmp_path),
            ports={"temporal": 1, "ui": 2, "venue": 3},
            database_url="postgresql://postgres@/rebalancer?host=/tmp",
            processes=[
                # Ours exited long ago; the pid now belongs to someone else's process.
                ProcessRecord("temporal", sleeper.pid, ["temporal"], "t.log", {}, started - 60),
            ],
        )
    )
    assert stack.down() == []
    time.sleep(0.2)
    assert sleeper.poll() is None, "dev down signalled a process it did not start"


def test_down_checks_the_command_line_of_records_without_a_start_time(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    stranger = ProcessRecord("paper-venue", sleeper.pid, [sys.executable, "-m", "x"], "v.log")
    assert not alive(stranger)
    ours = ProcessRecord("worker", sleeper.pid, [sys.executable, "-c", SLEEP], "w.log")
    assert alive(ours)


def test_down_still_stops_what_it_started(tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    stack = DevStack(tmp_path)
    record = StackRecord(
        state_dir=str(tmp_path),
        ports={"temporal": 1, "ui": 2, "venue": 3},
        database_url="postgresql://postgres@/rebalancer?host=/tmp",
        processes=[ProcessRecord("worker-1", sleeper.pid, ["python"], "w.log")],
    )
    stack.save(record)  # stamps the start time, as right after spawning
    assert stack.down() == ["worker-1"]
    assert sleeper.wait(10) is not None
