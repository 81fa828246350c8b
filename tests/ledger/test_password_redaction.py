"""A DSN's password, in any form it takes, stays out of messages, errors and their causes."""

from __future__ import annotations

import asyncio
import traceback

import pytest

from rebalancer.cli import main
from rebalancer.ledger.connection import open_connection, open_pool, redact, scrub, unavailable
from rebalancer.ledger.errors import LedgerConflict, LedgerUnavailable, MigrationError

PASSWORD = "Pl4nted-pw_9"
# Every form: URL userinfo (with and without a user, raw "@" inside), query parameters
# (percent-encoded names too, sslpassword), libpq keyword/value (bare and quoted).
FORMS = [
    f"postgresql://ledger:{PASSWORD}@db.internal:6432/ledger?sslmode=require",
    f"postgres://:{PASSWORD}@db/ledger",
    f"postgresql://ledger:{PASSWORD}@x@db/ledger",
    f"postgresql://ledger@db/ledger?sslmode=disable&password={PASSWORD}",
    f"postgresql://ledger@db/ledger?pass%77ord={PASSWORD}&port=5432",
    f"postgresql://ledger@db/ledger?sslpassword={PASSWORD}",
    f"host=db port=5432 user=ledger password={PASSWORD} dbname=ledger",
    f"host=db password = '{PASSWORD} with \\' quote' dbname=ledger",
    f"host=db PASSWORD={PASSWORD}",
]


@pytest.mark.parametrize("dsn", FORMS)
def test_redact_hides_every_form(dsn: str) -> None:
    shown = redact(dsn)
    assert PASSWORD not in shown
    assert "***" in shown
    assert "db" in shown, "everything but the password stays readable"


def test_redact_keeps_a_dsn_without_password() -> None:
    unix = "postgresql://postgres@/rebalancer?host=/tmp/x&port=5432"
    assert redact(unix) == unix
    assert redact("host=db dbname=ledger user=app") == "host=db dbname=ledger user=app"


@pytest.mark.parametrize("dsn", FORMS)
def test_unavailable_names_the_server_not_the_password(dsn: str) -> None:
    # A driver that quotes its input back (asyncpg does for some parse errors).
    error = ValueError(f"cannot parse {dsn!r}")
    failure = unavailable(dsn, error)
    assert PASSWORD not in str(failure)
    assert "DATABASE_URL" in str(failure)


@pytest.mark.parametrize("make", [LedgerUnavailable, LedgerConflict, MigrationError])
def test_ledger_errors_redact_their_own_message(make: type[Exception]) -> None:
    error = make(f"lost the ledger at postgresql://u@h/db?password={PASSWORD}: reset")
    assert PASSWORD not in str(error)
    assert PASSWORD not in repr(error)


@pytest.mark.parametrize(
    "dsn",
    [
        f"postgresql://ledger:{PASSWORD}@127.0.0.1:1/ledger?password={PASSWORD}",
        f"host=127.0.0.1 port=1 password={PASSWORD}",
    ],
)
async def test_a_failed_connect_carries_no_password(dsn: str) -> None:
    for opener in (open_connection, open_pool):
        with pytest.raises((LedgerUnavailable, ValueError)) as caught:
            await opener(dsn)
        rendered = "".join(traceback.format_exception(caught.value))
        assert PASSWORD not in rendered


def test_scrub_removes_the_password_wherever_it_appears() -> None:
    dsn = f"postgresql://u:{PASSWORD}@h/db"
    assert PASSWORD not in scrub(f"auth failed with {PASSWORD} (bare)", dsn)


@pytest.mark.parametrize(
    "dsn",
    [
        f"postgresql://ledger:{PASSWORD}@/ledger?host=/nonexistent-socket-dir",
        f"postgresql://ledger@/ledger?host=/nonexistent-socket-dir&password={PASSWORD}",
    ],
)
async def test_db_cli_never_prints_the_password(
    dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("REBALANCER_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", dsn)
    code = await asyncio.to_thread(main, ["db", "status"])
    assert code != 0
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out + captured.err
    assert "***" in captured.out + captured.err
