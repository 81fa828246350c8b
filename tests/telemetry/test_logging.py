"""Logs: JSON lines with context, and no secret in any of them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from rebalancer.runtime.logging_setup import configure_logging

SECRET = "s3cr3t-Value-42"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging swaps the root handler; later tests and atexit hooks need theirs."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level
    structlog.reset_defaults()


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]


# configure_logging runs inside each test: the handler binds the stream current at that time,
# and pytest swaps stderr between setup and call.
def test_secrets_never_reach_a_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "DEBUG")
    log = structlog.get_logger("test")
    log.info("keys", api_secret=SECRET, apiKey=SECRET, password=SECRET)
    log.info("nested", credentials={"paper": {"api_secret": SECRET, "venue": "paper"}})
    log.info("dsn", url=f"postgresql://app:{SECRET}@db:5432/ledger")
    log.info("signed url", url=f"http://venue/api/v3/order?symbol=BTCUSDT&signature={SECRET}")
    log.info("list", items=[{"token": SECRET}, f"secret={SECRET}"])
    logging.getLogger("aiohttp.client").warning(
        "request failed: http://venue/api/v3/account?timestamp=1&signature=%s", SECRET
    )
    output = lines(capsys)
    assert len(output) == 6
    assert SECRET not in json.dumps(output)
    assert output[1]["credentials"] == {"paper": {"api_secret": "***", "venue": "paper"}}
    assert output[2]["url"] == "postgresql://app:***@db:5432/ledger"


def test_context_is_carried(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "DEBUG")
    log = structlog.get_logger("test")
    with structlog.contextvars.bound_contextvars(
        account="acct-1", workflow_id="account-acct-1", cycle=7, client_order_id="rb-x-7-BTC-0"
    ):
        log.info("order acknowledged")
        logging.getLogger("temporalio").info("from the stdlib")
    first, second = lines(capsys)
    for line in (first, second):
        assert line["account"] == "acct-1"
        assert line["workflow_id"] == "account-acct-1"
        assert line["cycle"] == 7
        assert line["client_order_id"] == "rb-x-7-BTC-0"
    assert first["event"] == "order acknowledged"
    assert "timestamp" in first


DSN = f"postgresql://ledger:{SECRET}@db:5432/ledger"


def fail_with_secrets() -> None:
    raise ConnectionError(
        f"cannot reach {DSN} or postgresql://ledger@db/ledger?password={SECRET} "
        f"(host=db password={SECRET}); GET /api/v3/account?apiKey={SECRET}&secret={SECRET}"
    )


@pytest.mark.parametrize("fmt", ["json", "pretty"])
def test_tracebacks_are_redacted_after_formatting(
    capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    configure_logging(fmt, "DEBUG")
    try:
        fail_with_secrets()
    except ConnectionError:
        structlog.get_logger("test").exception("ledger call failed")
        logging.getLogger("asyncpg").exception("from the stdlib")
    err = capsys.readouterr().err
    assert "ConnectionError" in err, "the traceback is still there"
    assert err.count("fail_with_secrets") >= 2
    assert SECRET not in err


def test_structlog_exc_info_of_a_chained_error_is_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("json", "DEBUG")
    try:
        try:
            fail_with_secrets()
        except ConnectionError as error:
            raise RuntimeError(f"wrapped: {{'password': '{SECRET}'}}") from error
    except RuntimeError:
        structlog.get_logger("test").error("boom", exc_info=True)
    output = lines(capsys)
    assert "RuntimeError" in str(output[0]["exception"])
    assert SECRET not in json.dumps(output)
