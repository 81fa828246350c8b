"""Translate our errors into Temporal's: final ones stop retries, retryable ones carry the
venue's Retry-After as the next retry delay. Every error is counted by kind and symbol."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import structlog
from temporalio.exceptions import ApplicationError

from rebalancer.domain.errors import InvalidInput
from rebalancer.ledger.errors import LedgerConflict
from rebalancer.runtime import telemetry
from rebalancer.venue.errors import FinalVenueError, RetryableVenueError

log = structlog.get_logger("rebalancer.activities")


@asynccontextmanager
async def classified(symbol: str | None = None) -> AsyncIterator[None]:
    try:
        yield
    except FinalVenueError as error:
        telemetry.error(type(error).__name__, symbol)
        log.warning("final venue error", kind=type(error).__name__, error=str(error))
        raise ApplicationError(str(error), type=type(error).__name__, non_retryable=True) from None
    except InvalidInput as error:
        telemetry.error("InvalidInput", symbol)
        log.warning("invalid input", field=error.field, rule=error.rule)
        raise ApplicationError(str(error), type="InvalidInput", non_retryable=True) from None
    except LedgerConflict as error:
        # The ledger refused a write that contradicts what it holds under the same key: no
        # retry can change that, and retrying without end would wedge the account's cycle.
        telemetry.error("LedgerConflict", symbol)
        log.error("ledger conflict", error=str(error))
        raise ApplicationError(str(error), type="LedgerConflict", non_retryable=True) from None
    except RetryableVenueError as error:
        telemetry.error(type(error).__name__, symbol)
        log.info("retryable venue error", kind=type(error).__name__, error=str(error))
        delay = timedelta(seconds=error.retry_after) if error.retry_after else None
        raise ApplicationError(
            str(error), type=type(error).__name__, next_retry_delay=delay
        ) from None
    except Exception as error:
        telemetry.error(type(error).__name__, symbol)
        raise
