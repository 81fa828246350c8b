"""What can go wrong with the ledger, by what the caller should do about it."""

from __future__ import annotations

from rebalancer.domain.errors import RebalancerError


class LedgerError(RebalancerError):
    """Anything the ledger refused or could not do."""


class LedgerUnavailable(LedgerError):
    """The database cannot be reached, or the embedded server cannot start."""


class MigrationError(LedgerError):
    """The schema cannot be brought up to date safely: fix the cause, do not retry blindly."""


class LedgerConflict(LedgerError):
    """A write contradicts what the ledger already holds under the same natural key."""
