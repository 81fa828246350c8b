"""The ledger port. The asyncpg implementation lives in ``postgres_store``.

Every write is idempotent on a natural key, so an activity retried after a crash writes
nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from rebalancer.domain.no_trade import NoTradeRegion
from rebalancer.ledger import records


class LedgerStore(Protocol):
    async def ensure_account(self, account: records.AccountRecord) -> None:
        """Insert the account once; later calls change nothing."""

    async def record_target_version(self, version: records.TargetVersion) -> None:
        """Unique per (account, effective_at)."""

    async def start_cycle(self, cycle: records.CycleStart) -> None:
        """Unique per (account, cycle); a repeat keeps the first row."""

    async def finish_cycle(self, end: records.CycleEnd) -> None:
        """Set the outcome of a started cycle; repeating with the same values is a no-op."""

    async def upsert_order(self, order: records.OrderRecord) -> records.OrderRecord:
        """Insert or update by client_order_id and return the stored row.

        A final status (closed, canceled, rejected, expired) is never replaced by a
        non-final one, and filled quantity never decreases.
        """

    async def record_fills(self, fills: Sequence[records.FillRecord]) -> int:
        """Insert fills, ignoring any already stored (venue, trade_id); return how many were new."""

    async def record_balances(self, snapshot: records.BalanceSnapshot) -> None:
        """Unique per (account, taken_at, source)."""

    async def save_region(self, account_id: str, region: NoTradeRegion) -> None:
        """Replace the account's no-trade region; every write moves its ``updated_at``."""

    async def watched_accounts(
        self, venue: str, changed_after: datetime | None = None
    ) -> list[records.WatchedAccount]:
        """Every account on ``venue`` with a region, or those whose region was written after
        ``changed_after``, with their latest holdings."""

    async def order(self, client_order_id: str) -> records.OrderRecord | None: ...

    async def orders_for_account(self, account_id: str) -> list[records.OrderRecord]:
        """Every order of the account, oldest first."""

    async def open_orders(self, account_id: str) -> list[records.OrderRecord]:
        """Orders not in a final state (pending or open), oldest first."""

    async def fills_since(self, account_id: str, since: datetime) -> list[records.FillRecord]:
        """Fills executed at or after ``since``, oldest first."""

    async def cycles(self, account_id: str, limit: int = 20) -> list[records.CycleRecord]:
        """The account's latest ``limit`` cycles, newest first."""

    async def balances_from_fills(self, account_id: str) -> dict[str, Decimal]:
        """Total balance per asset: the latest 'initial' snapshot plus every later fill.

        A buy adds quantity of the base and removes quantity * price of the quote; a sell the
        reverse; the fee is removed from its fee asset.
        """

    async def close(self) -> None: ...
