"""Versioned SQL migrations: applied in order, each in its own transaction, recorded.

Files live in ``rebalancer/ledger/migrations`` as ``NNNN_name.sql``. They must not contain
transaction control (BEGIN/COMMIT) or statements that refuse a transaction (CREATE INDEX
CONCURRENTLY): each runs inside the transaction that records it, so a failure leaves no trace.

Any number of processes may migrate at once (every worker does on start). Each step takes
``pg_advisory_xact_lock``: a transaction-scoped lock, because asyncpg releases session
advisory locks whenever a connection goes back to a pool. The loser waits, then finds the
migration recorded and moves on.

An applied migration is never edited: its checksum is recorded, and a changed file stops
every migrator with a message saying which one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from rebalancer.ledger.connection import open_connection
from rebalancer.ledger.errors import MigrationError

# Any constant works; this one is "rebalancer" in ASCII, so it is recognisable in pg_locks.
MIGRATION_LOCK_KEY = 0x7265_6261_6C61_6E63
LOCK_TIMEOUT = "60s"
FILENAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer     PRIMARY KEY,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""

Connection = asyncpg.Connection | PoolConnectionProxy
Target = str | asyncpg.Pool | Connection


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str
    checksum: str

    @property
    def filename(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"

    @classmethod
    def from_text(cls, version: int, name: str, sql: str) -> Migration:
        # Line endings are normalised so a checkout with CRLF does not look like an edit.
        normalised = sql.replace("\r\n", "\n")
        checksum = hashlib.sha256(normalised.encode("utf-8")).hexdigest()
        return cls(version=version, name=name, sql=normalised, checksum=checksum)


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str
    applied_at: datetime


MigrationStateName = Literal["applied", "pending", "changed", "unknown"]


@dataclass(frozen=True)
class MigrationState:
    """One row of ``rebalancer db status``.

    ``changed``: applied, but the file differs now. ``unknown``: applied by a newer version.
    """

    version: int
    name: str
    state: MigrationStateName
    applied_at: datetime | None


def load_migrations(directory: Traversable | Path | None = None) -> list[Migration]:
    """The migration files in version order; the package's own unless ``directory`` is given."""
    folder = (
        directory if directory is not None else resources.files("rebalancer.ledger") / "migrations"
    )
    found: dict[int, Migration] = {}
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = FILENAME.match(entry.name)
        if match is None:
            raise MigrationError(
                f"migration file {entry.name}: name must look like 0001_lower_snake_name.sql"
            )
        version = int(match["version"])
        if version in found:
            raise MigrationError(
                f"migration file {entry.name}: version {version} is also used by "
                f"{found[version].filename}"
            )
        found[version] = Migration.from_text(version, match["name"], entry.read_text("utf-8"))
    return [found[version] for version in sorted(found)]


@asynccontextmanager
async def _connection(target: Target) -> AsyncIterator[Connection]:
    if isinstance(target, str):
        connection = await open_connection(target, codecs=False)
        try:
            yield connection
        finally:
            await connection.close()
    elif isinstance(target, asyncpg.Pool):
        async with target.acquire() as pooled:
            yield pooled
    else:
        yield target


async def _applied(connection: Connection) -> dict[int, AppliedMigration]:
    rows = await connection.fetch(
        "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
    )
    return {row["version"]: AppliedMigration(**dict(row)) for row in rows}


def _refuse_drift(applied: dict[int, AppliedMigration], known: dict[int, Migration]) -> None:
    for version, row in applied.items():
        migration = known.get(version)
        if migration is None:
            raise MigrationError(
                f"the database has migration {version:04d}_{row.name}, which this version of "
                "rebalancer does not know: upgrade rebalancer, or point DATABASE_URL elsewhere"
            )
        if migration.checksum != row.checksum:
            raise MigrationError(
                f"migration {migration.filename} changed after it was applied (recorded "
                f"checksum {row.checksum[:12]}, file {migration.checksum[:12]}): restore the "
                "file and put the change in a new migration"
            )


async def _apply_next(connection: Connection, migrations: Sequence[Migration]) -> Migration | None:
    """Apply the first pending migration under the lock; None when none is pending."""
    known = {migration.version: migration for migration in migrations}
    async with connection.transaction():
        await connection.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        try:
            await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)
        except asyncpg.LockNotAvailableError as error:
            raise MigrationError(
                f"another process held the migration lock for more than {LOCK_TIMEOUT}"
            ) from error
        await connection.execute(CREATE_TABLE)
        applied = await _applied(connection)
        _refuse_drift(applied, known)
        pending = [migration for migration in migrations if migration.version not in applied]
        if not pending:
            return None
        migration = pending[0]
        try:
            await connection.execute(migration.sql)
        except asyncpg.PostgresError as error:
            raise MigrationError(f"migration {migration.filename} failed: {error}") from error
        await connection.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
            migration.version,
            migration.name,
            migration.checksum,
        )
        return migration


async def migrate(target: Target, *, migrations: Sequence[Migration] | None = None) -> list[int]:
    """Bring the schema up to date; return the versions this call applied (often none).

    ``target`` is a DSN, a pool or a connection (used as is, outside any transaction).
    """
    chosen = sorted(
        migrations if migrations is not None else load_migrations(),
        key=lambda migration: migration.version,
    )
    applied_now: list[int] = []
    async with _connection(target) as connection:
        while (migration := await _apply_next(connection, chosen)) is not None:
            applied_now.append(migration.version)
    return applied_now


async def migration_status(
    target: Target, *, migrations: Sequence[Migration] | None = None
) -> list[MigrationState]:
    """Every known or applied migration and its state, in version order; changes nothing."""
    chosen = {m.version: m for m in (migrations if migrations is not None else load_migrations())}
    async with _connection(target) as connection:
        exists = await connection.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
        applied = await _applied(connection) if exists else {}
    states: list[MigrationState] = []
    for version in sorted(chosen.keys() | applied.keys()):
        migration, row = chosen.get(version), applied.get(version)
        if row is None:
            assert migration is not None
            states.append(MigrationState(version, migration.name, "pending", None))
        elif migration is None:
            states.append(MigrationState(version, row.name, "unknown", row.applied_at))
        else:
            state: MigrationStateName = (
                "applied" if migration.checksum == row.checksum else "changed"
            )
            states.append(MigrationState(version, row.name, state, row.applied_at))
    return states
