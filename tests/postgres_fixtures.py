"""PostgreSQL for tests: one server per session, one migrated template, a clone per test.

The server is a throwaway embedded PostgreSQL in a temporary directory, or the server that
``REBALANCER_TEST_DATABASE_URL`` points at (its role needs CREATEDB; the tests create and drop
databases named ``rebalancer_t_*`` there and touch nothing else).

Cloning a template (``CREATE DATABASE ... TEMPLATE``) costs a few tens of milliseconds, so
every test gets a database of its own and no test sees another's rows.

Register with ``pytest_plugins = ["tests.postgres_fixtures"]`` in the root conftest.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rebalancer.ledger.connection import open_connection, with_database
from rebalancer.ledger.embedded import start_embedded, stop_embedded
from rebalancer.ledger.migrate import migrate
from rebalancer.ledger.postgres_store import PostgresStore

TEST_DATABASE_URL = "REBALANCER_TEST_DATABASE_URL"
# Durability buys a throwaway server nothing; these make every commit cheap.
EMBEDDED_TEST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def _unique_name(kind: str) -> str:
    return f"rebalancer_t_{kind}_{uuid.uuid4().hex[:12]}"


async def _admin(dsn: str, *statements: str) -> None:
    connection = await open_connection(dsn, codecs=False)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def embedded_state(prefix: str) -> Iterator[Path]:
    """A fresh state directory for an embedded server; the server stopped and the
    directory removed on the way out. Not tmp_path: a short path keeps the unix socket
    inside the data directory."""
    state = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield state
    finally:
        stop_embedded(state)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_state_dir() -> Iterator[Path | None]:
    """The embedded test server's state directory; None when an external server is used."""
    if os.environ.get(TEST_DATABASE_URL):
        yield None
        return
    with embedded_state("rebalancer-pg-") as state:
        yield state


@pytest.fixture(scope="session")
async def postgres_admin_dsn(postgres_state_dir: Path | None) -> str:
    """A DSN on the test server from which databases can be created and dropped."""
    if postgres_state_dir is None:
        return os.environ[TEST_DATABASE_URL]
    dsn = start_embedded(postgres_state_dir, database="postgres")
    await _admin(
        dsn,
        *(f"ALTER SYSTEM SET {name} = {value}" for name, value in EMBEDDED_TEST_SETTINGS.items()),
        "SELECT pg_reload_conf()",
    )
    return dsn


@pytest.fixture(scope="session")
async def ledger_template(postgres_admin_dsn: str) -> AsyncIterator[str]:
    """Name of a database with every migration applied; never connected to by tests."""
    name = _unique_name("template")
    await _admin(postgres_admin_dsn, f'CREATE DATABASE "{name}"')
    await migrate(with_database(postgres_admin_dsn, name))
    yield name
    await _admin(postgres_admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _own_database(
    admin_dsn: str, kind: str, template: str | None = None
) -> AsyncIterator[str]:
    """DSN of a database of the calling test's own (a copy of ``template``), dropped after."""
    name = _unique_name(kind)
    copy = f' TEMPLATE "{template}"' if template else ""
    await _admin(admin_dsn, f'CREATE DATABASE "{name}"{copy}')
    yield with_database(admin_dsn, name)
    await _admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def ledger_dsn(postgres_admin_dsn: str, ledger_template: str) -> AsyncIterator[str]:
    """DSN of a migrated database of this test's own."""
    async for dsn in _own_database(postgres_admin_dsn, "ledger", ledger_template):
        yield dsn


@pytest.fixture
async def empty_database_dsn(postgres_admin_dsn: str) -> AsyncIterator[str]:
    """DSN of an empty database (no migrations) of this test's own."""
    async for dsn in _own_database(postgres_admin_dsn, "empty"):
        yield dsn


@pytest.fixture
async def ledger_store(ledger_dsn: str) -> AsyncIterator[PostgresStore]:
    """An open ``PostgresStore`` on this test's migrated database."""
    async with PostgresStore.open(ledger_dsn, min_size=1, max_size=4) as store:
        yield store
