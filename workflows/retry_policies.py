"""How the account workflow's activities retry.

What is final is the worker's to say: its interceptor raises
``ApplicationError(non_retryable=True)`` for final venue errors (insufficient funds, invalid
order, authentication), bad input and ledger conflicts (activities/errors.py), and the
workflow reads that flag, never a list of names. Everything else retries with backoff,
without an attempt cap for orders, because a cycle must not lose track of one; the venue's
Retry-After hint arrives as the activity error's next retry delay.

Each call names its activity by method, with its timeout and one of these policies, where
the workflow makes it (``workflows.activity_port``, ``workflows.account``). Reads and the
cycle record run as local activities: in the worker, with no server round trip to schedule,
dispatch and complete them.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy


def _doubling(first: timedelta, longest: timedelta, attempts: int = 0) -> RetryPolicy:
    """Waits doubling from ``first`` up to ``longest``; ``attempts`` 0 retries without limit."""
    return RetryPolicy(
        initial_interval=first,
        backoff_coefficient=2.0,
        maximum_interval=longest,
        maximum_attempts=attempts,
    )


READ_RETRY = _doubling(timedelta(milliseconds=200), timedelta(seconds=10), attempts=10)
# Side effects on orders retry without limit: giving up would leave an order unaccounted.
ORDER_RETRY = _doubling(timedelta(milliseconds=250), timedelta(seconds=30))
# Registration gives up soon: an operator waits on `account add`, and a venue that is down
# or a missing key is reported to them (the account then retries on its own timer).
REGISTER_RETRY = _doubling(timedelta(milliseconds=500), timedelta(seconds=4), attempts=5)
# The fleet watcher comes back after any failure, soon: while it is away, accounts rely on
# their slow safety timers.
WATCH_RETRY = _doubling(timedelta(seconds=1), timedelta(seconds=30))
