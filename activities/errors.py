"""Translate our errors into Temporal's: final ones stop retries, retryable ones carry the
venue's Retry-After as the next retry delay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio.exceptions import ApplicationError

from rebalancer.domain.errors import InvalidInput
from rebalancer.venue.errors import FinalVenueError, RetryableVenueError


@asynccontextmanager
async def classified() -> AsyncIterator[None]:
    try:
        yield
    except FinalVenueError as error:
        raise ApplicationError(str(error), type=type(error).__name__, non_retryable=True) from None
    except InvalidInput as error:
        raise ApplicationError(str(error), type="InvalidInput", non_retryable=True) from None
    except RetryableVenueError as error:
        delay = timedelta(seconds=error.retry_after) if error.retry_after else None
        raise ApplicationError(
            str(error), type=type(error).__name__, next_retry_delay=delay
        ) from None
