"""Opening asyncpg connections and pools, with the codecs and the errors the ledger expects."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict
from urllib.parse import parse_qsl, quote, unquote, unquote_plus, urlsplit, urlunsplit

import asyncpg
from pydantic import BaseModel

from rebalancer.ledger.errors import LedgerUnavailable
from rebalancer.runtime.logging_setup import redact_text

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


# Connection parameters whose value is a secret, in a URL's query or a libpq keyword DSN.
SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
# libpq's keyword/value form: key = value, the value bare or single-quoted with \\ escapes.
_KEYWORD = re.compile(r"(\w+)(\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s']\S*|(?=\s|$))")


def _is_url(dsn: str) -> bool:
    return "://" in dsn.split("?", 1)[0]


def _redact_query(query: str) -> str:
    parts = []
    for part in query.split("&"):
        name, equals, _ = part.partition("=")
        # asyncpg and libpq percent-decode parameter names: pass%77ord is a password too.
        secret = equals and unquote_plus(name).strip().lower() in SECRET_PARAMETERS
        parts.append(f"{name}=***" if secret else part)
    return "&".join(parts)


def _redact_url(dsn: str) -> str:
    parts = urlsplit(dsn)
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:***@{hostport}"
    return urlunsplit(parts._replace(netloc=netloc, query=_redact_query(parts.query)))


def _redact_keywords(dsn: str) -> str:
    def hide(match: re.Match[str]) -> str:
        if match.group(1).lower() in SECRET_PARAMETERS:
            return f"{match.group(1)}{match.group(2)}***"
        return match.group(0)

    return _KEYWORD.sub(hide, dsn)


def redact(dsn: str) -> str:
    """The DSN without any password, fit for messages, logs and files.

    Every form a password takes: URL userinfo (``postgresql://user:pw@host``), a query
    parameter (``?password=pw``, ``sslpassword=``) and libpq's keyword form
    (``host=h password='p w'``). Whatever parsing misses, the log redaction patterns catch.
    """
    try:
        text = _redact_url(dsn) if _is_url(dsn) else _redact_keywords(dsn)
    except ValueError:
        text = dsn
    return redact_text(text)


def passwords(dsn: str) -> list[str]:
    """The passwords a DSN carries, in every form ``redact`` hides."""
    found: list[str] = []
    with contextlib.suppress(ValueError):
        if _is_url(dsn):
            parts = urlsplit(dsn)
            userinfo, at, _ = parts.netloc.rpartition("@")
            if at and ":" in userinfo:
                found.append(userinfo.split(":", 1)[1])
                found.append(unquote(userinfo.split(":", 1)[1]))
            for name, value in parse_qsl(parts.query, keep_blank_values=True):
                if name.strip().lower() in SECRET_PARAMETERS:
                    found.append(value)
        else:
            for match in _KEYWORD.finditer(dsn):
                if match.group(1).lower() in SECRET_PARAMETERS:
                    value = match.group(3)
                    found.append(value)
                    if value.startswith("'"):
                        found.append(re.sub(r"\\(.)", r"\1", value[1:-1]))
    return [value for value in dict.fromkeys(found) if value]


def scrub(text: str, dsn: str) -> str:
    """``text`` with ``dsn``'s passwords removed wherever they appear, quoted or not."""
    for password in sorted(passwords(dsn), key=len, reverse=True):
        text = text.replace(password, "***")
    return redact_text(text)


def with_database(dsn: str, database: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError("dsn: must be a postgresql:// URL")
    return urlunsplit(parts._replace(path="/" + quote(database, safe="")))


def unavailable(dsn: str, error: BaseException) -> LedgerUnavailable:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    reason = scrub(reason, dsn)
    return LedgerUnavailable(
        f"cannot connect to PostgreSQL at {redact(dsn)}: {reason} "
        "(set DATABASE_URL to a reachable server, or unset it to use the embedded one)"
    )


def _clean_cause(dsn: str, error: BaseException) -> BaseException | None:
    """The driver's error as the cause, unless its text quotes a password: a cause travels
    with the error into logs and into Temporal's failure (and so the workflow history)."""
    text = str(error)
    if scrub(text, dsn) != text:
        return None
    return error


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
        raise unavailable(dsn, error) from _clean_cause(dsn, error)
    if codecs:
        await init_connection(connection)
    return connection


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Return a connection to the pool as it is.

    The default reset costs a round trip on every release. Ledger code never changes session
    state (no SET, LISTEN or session advisory locks; migrations use the transaction-scoped
    lock), and asyncpg still rolls back any open transaction before this runs.
    """


class PoolOptions(TypedDict, total=False):
    """``open_pool``'s options, for those that pass them on."""

    min_size: int
    max_size: int
    max_inactive_connection_lifetime: float
    command_timeout: float | None


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
        raise unavailable(dsn, error) from _clean_cause(dsn, error)
    return pool
