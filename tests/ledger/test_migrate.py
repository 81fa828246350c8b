from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import asyncpg
import pytest

from rebalancer.ledger.connection import open_connection, open_pool
from rebalancer.ledger.errors import MigrationError
from rebalancer.ledger.migrate import Migration, load_migrations, migrate, migration_status

LEDGER_TABLES = {
    "accounts",
    "target_versions",
    "target_weights",
    "cycles",
    "orders",
    "fills",
    "balance_snapshots",
    "balance_rows",
    "no_trade_regions",
    "schema_migrations",
}


def slow_migrations(count: int) -> list[Migration]:
    """Migrations that each create a table and sleep, so concurrent migrators overlap.

    Without the lock two migrators would both run one of these and the second CREATE TABLE or
    the second schema_migrations row would fail.
    """
    return [
        Migration.from_text(
            version,
            f"step_{version}",
            f"CREATE TABLE step_{version} (id integer PRIMARY KEY);\nSELECT pg_sleep(0.05);\n",
        )
        for version in range(1, count + 1)
    ]


def write_migrations(directory: Path, migrations: list[Migration]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for migration in migrations:
        (directory / migration.filename).write_text(migration.sql)


async def tables(dsn: str) -> set[str]:
    connection = await open_connection(dsn)
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await connection.close()
    return {row["tablename"] for row in rows}


async def recorded(dsn: str) -> list[asyncpg.Record]:
    connection = await open_connection(dsn)
    try:
        return await connection.fetch("SELECT * FROM schema_migrations ORDER BY version")
    finally:
        await connection.close()


def test_packaged_migrations_are_found_in_order() -> None:
    migrations = load_migrations()
    versions = [migration.version for migration in migrations]
    assert versions[0] == 1
    assert versions == sorted(versions)
    assert migrations[0].filename == "0001_initial.sql"
    assert len(migrations[0].checksum) == 64


async def test_migrates_an_empty_database(empty_database_dsn: str) -> None:
    assert await tables(empty_database_dsn) == set()
    applied = await migrate(empty_database_dsn)
    assert applied == [migration.version for migration in load_migrations()]
    assert await tables(empty_database_dsn) == LEDGER_TABLES
    rows = await recorded(empty_database_dsn)
    assert [(row["version"], row["name"], row["checksum"]) for row in rows] == [
        (migration.version, migration.name, migration.checksum) for migration in load_migrations()
    ]
    assert all(row["applied_at"].tzinfo is not None for row in rows)


async def test_rerunning_migrations_changes_nothing(empty_database_dsn: str) -> None:
    await migrate(empty_database_dsn)
    before = await recorded(empty_database_dsn)
    assert await migrate(empty_database_dsn) == []
    assert await migrate(empty_database_dsn) == []
    assert await recorded(empty_database_dsn) == before


async def test_status_shows_pending_then_applied(empty_database_dsn: str) -> None:
    before = await migration_status(empty_database_dsn)
    assert {state.state for state in before} == {"pending"}
    assert await tables(empty_database_dsn) == set()  # status creates nothing
    await migrate(empty_database_dsn)
    after = await migration_status(empty_database_dsn)
    assert {state.state for state in after} == {"applied"}
    assert all(state.applied_at is not None for state in after)


async def test_concurrent_migrators_apply_each_migration_once(empty_database_dsn: str) -> None:
    migrations = slow_migrations(4)
    results = await asyncio.gather(
        *(migrate(empty_database_dsn, migrations=migrations) for _ in range(4))
    )
    applied = sorted(version for result in results for version in result)
    assert applied == [1, 2, 3, 4]
    assert [row["version"] for row in await recorded(empty_database_dsn)] == [1, 2, 3, 4]


async def test_concurrent_migrator_processes(empty_database_dsn: str, tmp_path: Path) -> None:
    migrations = slow_migrations(3)
    write_migrations(tmp_path / "migrations", migrations)
    script = (
        "import asyncio, json, sys\n"
        "from pathlib import Path\n"
        "from rebalancer.ledger.migrate import load_migrations, migrate\n"
        "found = load_migrations(Path(sys.argv[2]))\n"
        "print(json.dumps(asyncio.run(migrate(sys.argv[1], migrations=found))))\n"
    )
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            script,
            empty_database_dsn,
            str(tmp_path / "migrations"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outputs = await asyncio.gather(*(process.communicate() for process in processes))
    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    applied = sorted(
        version for stdout, _ in outputs for version in json.loads(stdout.decode().splitlines()[-1])
    )
    assert applied == [1, 2, 3]
    assert [row["version"] for row in await recorded(empty_database_dsn)] == [1, 2, 3]


async def test_migrate_takes_a_pool_or_a_connection(empty_database_dsn: str) -> None:
    migrations = slow_migrations(2)
    pool = await open_pool(empty_database_dsn, min_size=1, max_size=2)
    try:
        assert await migrate(pool, migrations=migrations[:1]) == [1]
        async with pool.acquire() as connection:
            assert await migrate(connection, migrations=migrations) == [2]
            # The pool hands connections back as they are: the migration lock must not linger.
            assert (
                await connection.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                )
                == 0
            )
    finally:
        await pool.close()


async def test_a_changed_migration_is_refused(empty_database_dsn: str) -> None:
    migrations = slow_migrations(2)
    await migrate(empty_database_dsn, migrations=migrations)
    edited = [
        migrations[0],
        Migration.from_text(2, "step_2", migrations[1].sql + "-- an innocent comment\n"),
    ]
    with pytest.raises(MigrationError, match=r"0002_step_2\.sql changed after it was applied"):
        await migrate(empty_database_dsn, migrations=edited)
    states = {
        state.version: state.state
        for state in await migration_status(empty_database_dsn, migrations=edited)
    }
    assert states == {1: "applied", 2: "changed"}


async def test_line_endings_do_not_count_as_a_change(empty_database_dsn: str) -> None:
    migrations = slow_migrations(1)
    await migrate(empty_database_dsn, migrations=migrations)
    crlf = [Migration.from_text(1, "step_1", migrations[0].sql.replace("\n", "\r\n"))]
    assert await migrate(empty_database_dsn, migrations=crlf) == []


async def test_a_database_newer_than_the_code_is_refused(empty_database_dsn: str) -> None:
    migrations = slow_migrations(3)
    await migrate(empty_database_dsn, migrations=migrations)
    with pytest.raises(MigrationError, match=r"0003_step_3, which this version .* does not know"):
        await migrate(empty_database_dsn, migrations=migrations[:2])
    states = await migration_status(empty_database_dsn, migrations=migrations[:2])
    assert [state.state for state in states] == ["applied", "applied", "unknown"]


async def test_a_failing_migration_leaves_no_trace(empty_database_dsn: str) -> None:
    good = slow_migrations(1)
    broken = Migration.from_text(2, "broken", "CREATE TABLE half (id integer);\nSELECT 1/0;\n")
    with pytest.raises(MigrationError, match=r"0002_broken\.sql failed: division by zero"):
        await migrate(empty_database_dsn, migrations=[*good, broken])
    assert await tables(empty_database_dsn) == {"step_1", "schema_migrations"}
    assert [row["version"] for row in await recorded(empty_database_dsn)] == [1]
    fixed = Migration.from_text(2, "broken", "CREATE TABLE half (id integer);\n")
    assert await migrate(empty_database_dsn, migrations=[*good, fixed]) == [2]


def test_migration_files_must_be_named_by_version(tmp_path: Path) -> None:
    (tmp_path / "1_initial.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"0001_lower_snake_name\.sql"):
        load_migrations(tmp_path)


def test_migration_versions_must_be_unique(tmp_path: Path) -> None:
    (tmp_path / "0001_one.sql").write_text("SELECT 1;")
    (tmp_path / "0001_other.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="version 1 is also used by"):
        load_migrations(tmp_path)


def test_migrations_load_from_a_directory_in_order(tmp_path: Path) -> None:
    write_migrations(tmp_path, slow_migrations(3))
    (tmp_path / "README.md").write_text("not a migration")
    assert [migration.version for migration in load_migrations(tmp_path)] == [1, 2, 3]
