"""Opening asyncpg connections and pools, with the codecs and the errors the ledger expects."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
from pydantic import BaseModel

from rebalancer.ledger.errors import LedgerUnavailable

APPLICATION_NAME = "rebalancer"
# The ledger runs short OLTP statements; JIT compilation only ever adds latency to them.
SERVER_SETTINGS = {"application_name": APPLICATION_NAME, "jit": "off"}
CONNECT_TIMEOUT = 10.0


def _json_default(value: Any) -> Any:
    # Strings, not JSON numbers: a reader parsing numbers as floats would lose digits.
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot store {type(value).__name__} in a JSON column")


def encode_json(value: Any) -> str:
    return json.dumps(value, default=_json_default, separators=(",", ":"), allow_nan=False)


def decode_json(text: str) -> Any:
    # A number someone stored as a JSON number still comes back exact.
    return json.loads(text, parse_float=Decimal)


async def init_connection(connection: asyncpg.Connection) -> None:
    """Codecs every ledger connection needs: JSON columns read and write Python values."""
    for type_name in ("jsonb", "json"):
        await connection.set_type_codec(
            type_name,
            encoder=encode_json,
            decoder=decode_json,
            schema="pg_catalog",
            format="text",
        )


def redact(dsn: str) -> str:
    """The DSN without its password, fit for messages and logs."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username}:***@{host}" if parts.username else f":***@{host}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def with_database(dsn: str, database: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError("dsn: must be a postgresql:// URL")
    return urlunsplit(parts._replace(path="/" + quote(database, safe="")))


def unavailable(dsn: str, error: BaseException) -> LedgerUnavailable:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return LedgerUnavailable(
        f"cannot connect to PostgreSQL at {redact(dsn)}: {reason} "
        "(set DATABASE_URL to a reachable server, or unset it to use the embedded one)"
    )


# What a failed connect raises: sockets, timeouts, and the server refusing us.
CONNECT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


async def open_connection(dsn: str, *, codecs: bool = True) -> asyncpg.Connection:
    """One connection, or ``LedgerUnavailable`` naming the server and DATABASE_URL."""
    try:
        connection = await asyncpg.connect(
            dsn, timeout=CONNECT_TIMEOUT, server_settings=SERVER_SETTINGS
        )
    except CONNECT_ERRORS as error:
        raise unavailable(dsn, error) from error
    if codecs:
        await init_connection(connection)
    return connection


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Return a connection to the pool as it is.

    The default reset costs a round trip on every release. Ledger code never changes session
    state (no SET, LISTEN or session advisory locks; migrations use the transaction-scoped
    lock), and asyncpg still rolls back any open transaction before this runs.
    """


async def open_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    max_inactive_connection_lifetime: float = 300.0,
    command_timeout: float | None = 60.0,
) -> asyncpg.Pool:
    """A pool with the ledger's codecs, or ``LedgerUnavailable``."""
    if min_size < 0 or max_size < 1 or min_size > max_size:
        raise ValueError("pool sizes: need 0 <= min_size <= max_size and max_size >= 1")
    try:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            max_inactive_connection_lifetime=max_inactive_connection_lifetime,
            command_timeout=command_timeout,
            timeout=CONNECT_TIMEOUT,
            server_settings=SERVER_SETTINGS,
            init=init_connection,
            reset=_keep_session,
        )
    except CONNECT_ERRORS as error:
        raise unavailable(dsn, error) from error
    return pool
