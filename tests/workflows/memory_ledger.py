"""An in-memory LedgerStore for workflow tests, with the real store's idempotency rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from rebalancer.domain.no_trade import NoTradeRegion
from rebalancer.ledger.errors import LedgerConflict
from rebalancer.ledger.postgres_store import ORDER_IDENTITY
from rebalancer.ledger.records import (
    AccountRecord,
    BalanceSnapshot,
    CycleEnd,
    CycleStart,
    FillRecord,
    OrderRecord,
    TargetVersion,
    WatchedAccount,
)
from rebalancer.venue.models import FINAL_STATUSES


class MemoryLedger:
    def __init__(self) -> None:
        self.accounts: dict[str, AccountRecord] = {}
        self.targets: dict[tuple[str, datetime], TargetVersion] = {}
        self.cycle_starts: dict[tuple[str, int], CycleStart] = {}
        self.cycle_ends: dict[tuple[str, int], CycleEnd] = {}
        self.orders: dict[str, OrderRecord] = {}
        self.fills: dict[tuple[str, str, str, str], FillRecord] = {}
        self.balances: dict[tuple[str, datetime, str], BalanceSnapshot] = {}
        self.regions: dict[str, NoTradeRegion] = {}

    async def ensure_account(self, account: AccountRecord) -> None:
        self.accounts.setdefault(account.account_id, account)

    async def record_target_version(self, version: TargetVersion) -> None:
        self.targets.setdefault((version.account_id, version.effective_at), version)

    async def start_cycle(self, cycle: CycleStart) -> None:
        self.cycle_starts.setdefault((cycle.account_id, cycle.cycle), cycle)

    async def finish_cycle(self, end: CycleEnd) -> None:
        self.cycle_ends[(end.account_id, end.cycle)] = end

    async def upsert_order(self, order: OrderRecord) -> OrderRecord:
        stored = self.orders.get(order.client_order_id)
        if stored is None:
            self.orders[order.client_order_id] = order
            return order
        differing = [f for f in ORDER_IDENTITY if getattr(stored, f) != getattr(order, f)]
        if differing:
            raise LedgerConflict(
                f"upsert_order: client_order_id {order.client_order_id!r} is already recorded "
                f"for another order (differs in {', '.join(differing)})"
            )
        if stored.status in FINAL_STATUSES and order.status not in FINAL_STATUSES:
            return stored
        merged = stored.model_copy(
            update={
                "venue_order_id": order.venue_order_id or stored.venue_order_id,
                "status": order.status if stored.status not in FINAL_STATUSES else stored.status,
                "filled_quantity": max(order.filled_quantity, stored.filled_quantity),
                "average_price": order.average_price or stored.average_price,
                "updated_at": order.updated_at,
            }
        )
        self.orders[order.client_order_id] = merged
        return merged

    async def record_fills(self, fills: Sequence[FillRecord]) -> int:
        new = 0
        for fill in fills:
            # As the real store: venues number trades per symbol, and a trade between two of
            # our accounts appears in both.
            key = (fill.venue, fill.account_id, fill.symbol, fill.trade_id)
            if key not in self.fills:
                self.fills[key] = fill
                new += 1
        return new

    async def record_balances(self, snapshot: BalanceSnapshot) -> None:
        key = (snapshot.account_id, snapshot.taken_at, snapshot.source)
        self.balances.setdefault(key, snapshot)

    async def save_region(self, account_id: str, region: NoTradeRegion) -> None:
        self.regions[account_id] = region

    async def watched_accounts(
        self, venue: str, changed_after: datetime | None = None
    ) -> list[WatchedAccount]:
        raise NotImplementedError("the workflow tests do not run the fleet watcher")

    async def order(self, client_order_id: str) -> OrderRecord | None:
        return self.orders.get(client_order_id)

    async def orders_for_account(self, account_id: str) -> list[OrderRecord]:
        return sorted(
            (o for o in self.orders.values() if o.account_id == account_id),
            key=lambda o: o.created_at,
        )

    async def open_orders(self, account_id: str) -> list[OrderRecord]:
        return [
            o for o in await self.orders_for_account(account_id) if o.status not in FINAL_STATUSES
        ]

    async def fills_since(self, account_id: str, since: datetime) -> list[FillRecord]:
        return sorted(
            (
                f
                for f in self.fills.values()
                if f.account_id == account_id and f.executed_at >= since
            ),
            key=lambda f: f.executed_at,
        )

    async def cycles(self, account_id: str, limit: int = 20) -> list[object]:
        return []

    async def balances_from_fills(self, account_id: str) -> dict[str, Decimal]:
        raise NotImplementedError("the workflow tests do not recompute balances")

    async def close(self) -> None:
        return None
