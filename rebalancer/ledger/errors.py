"""What can go wrong with the ledger, by what the caller should do about it."""

from __future__ import annotations

from typing import Any

from rebalancer.domain.errors import RebalancerError
from rebalancer.runtime.logging_setup import redact_text


class LedgerError(RebalancerError):
    """Anything the ledger refused or could not do.

    The message is redacted on the way in: these errors quote DSNs and driver messages, and
    an activity's error message is stored in the workflow's history for good.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*(redact_text(arg) if isinstance(arg, str) else arg for arg in args))


class LedgerUnavailable(LedgerError):
    """The database cannot be reached, or the embedded server cannot start."""


class MigrationError(LedgerError):
    """The schema cannot be brought up to date safely: fix the cause, do not retry blindly."""


class LedgerConflict(LedgerError):
    """A write contradicts what the ledger already holds under the same natural key."""
