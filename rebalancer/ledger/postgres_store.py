"""The ledger on PostgreSQL through an asyncpg pool.

Every write is one statement and one round trip, idempotent on its natural key (ON CONFLICT),
so an activity retried after a crash writes nothing twice and concurrent writers need no lock
of ours: PostgreSQL's row lock under ON CONFLICT DO UPDATE serialises them, and each update
sees the latest committed row.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Unpack

import asyncpg

from rebalancer.domain.no_trade import NoTradeRegion
from rebalancer.ledger.connection import PoolOptions, open_pool, redact
from rebalancer.ledger.errors import LedgerConflict, LedgerError, LedgerUnavailable
from rebalancer.ledger.records import (
    AccountRecord,
    BalanceSnapshot,
    CycleEnd,
    CycleRecord,
    CycleStart,
    FillRecord,
    OrderRecord,
    TargetVersion,
    WatchedAccount,
)
from rebalancer.ledger.store import LedgerStore

ORDER_COLUMNS = (
    "client_order_id, account_id, cycle, venue, venue_order_id, symbol, side, quantity, "
    "limit_price, status, filled_quantity, average_price, created_at, updated_at"
)
FILL_COLUMNS = (
    "venue, trade_id, account_id, client_order_id, venue_order_id, symbol, side, quantity, "
    "price, fee, fee_asset, executed_at"
)
CYCLE_COLUMNS = (
    "account_id, cycle, trigger, started_at, drift_snapshot, status, ended_at, decision, "
    "predicted_cost, realised_cost"
)
OPEN_STATUSES = ("pending", "open")
# Fields that make an order what it is; an upsert that disagrees on one is not a status update
# but a second order under the same client id. Quantity and limit price are not among them:
# they keep their first recorded values, since a venue's echo of an order may normalise them
# and refusing the update would wedge the activity that reports it.
ORDER_IDENTITY = ("account_id", "venue", "symbol", "side")


def _rank(status: str) -> str:
    # pending < open < any final status; a status only ever moves up this order.
    return f"CASE {status} WHEN 'pending' THEN 0 WHEN 'open' THEN 1 ELSE 2 END"


UPSERT_ORDER = f"""
INSERT INTO orders AS stored ({ORDER_COLUMNS})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (client_order_id) DO UPDATE SET
    venue_order_id = COALESCE(stored.venue_order_id, EXCLUDED.venue_order_id),
    status = CASE WHEN {_rank("EXCLUDED.status")} > {_rank("stored.status")}
                  THEN EXCLUDED.status ELSE stored.status END,
    filled_quantity = GREATEST(stored.filled_quantity, EXCLUDED.filled_quantity),
    average_price = CASE WHEN EXCLUDED.filled_quantity >= stored.filled_quantity
                         THEN COALESCE(EXCLUDED.average_price, stored.average_price)
                         ELSE stored.average_price END,
    updated_at = GREATEST(stored.updated_at, EXCLUDED.updated_at)
WHERE {" AND ".join(f"stored.{field} = EXCLUDED.{field}" for field in ORDER_IDENTITY)}
RETURNING {ORDER_COLUMNS}
"""

# Rows go in key order: two writers inserting overlapping batches then take their row locks
# in the same order and wait for each other instead of deadlocking.
RECORD_FILLS = """
WITH new AS (
    INSERT INTO fills (venue, trade_id, account_id, client_order_id, venue_order_id, symbol,
                       side, quantity, price, fee, fee_asset, executed_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::text[], $8::numeric[], $9::numeric[], $10::numeric[],
                         $11::text[], $12::timestamptz[])
        AS batch (venue, trade_id, account_id, client_order_id, venue_order_id, symbol, side,
                  quantity, price, fee, fee_asset, executed_at)
    ORDER BY venue, account_id, symbol, trade_id
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM new
"""

RECORD_TARGET_VERSION = """
WITH version AS (
    INSERT INTO target_versions (account_id, effective_at, source) VALUES ($1, $2, $3)
    ON CONFLICT DO NOTHING
    RETURNING account_id, effective_at
)
INSERT INTO target_weights (account_id, effective_at, asset, weight)
SELECT version.account_id, version.effective_at, weights.asset, weights.weight
FROM version, unnest($4::text[], $5::numeric[]) AS weights (asset, weight)
"""

RECORD_BALANCES = """
WITH snapshot AS (
    INSERT INTO balance_snapshots (account_id, taken_at, source) VALUES ($1, $2, $3)
    ON CONFLICT DO NOTHING
    RETURNING account_id, taken_at, source
)
INSERT INTO balance_rows (account_id, taken_at, source, asset, free, locked)
SELECT snapshot.account_id, snapshot.taken_at, snapshot.source, rows.asset, rows.free,
       rows.locked
FROM snapshot, unnest($4::text[], $5::numeric[], $6::numeric[]) AS rows (asset, free, locked)
"""

SAVE_REGION = """
INSERT INTO no_trade_regions (account_id, quote, targets, bands, sizing)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (account_id) DO UPDATE
SET quote = EXCLUDED.quote, targets = EXCLUDED.targets, bands = EXCLUDED.bands,
    sizing = EXCLUDED.sizing, updated_at = clock_timestamp()
"""

# Holdings as strings, so JSON carries them exactly.
WATCHED_ACCOUNTS = """
SELECT region.account_id, region.quote, region.targets, region.bands, region.sizing,
       region.updated_at, latest.taken_at AS holdings_at,
       (SELECT jsonb_object_agg(rows.asset, (rows.free + rows.locked)::text)
        FROM balance_rows AS rows
        WHERE rows.account_id = latest.account_id AND rows.taken_at = latest.taken_at
          AND rows.source = latest.source) AS holdings
FROM no_trade_regions AS region
JOIN accounts USING (account_id)
LEFT JOIN LATERAL (
    SELECT account_id, taken_at, source FROM balance_snapshots
    WHERE account_id = region.account_id
    ORDER BY taken_at DESC, source DESC
    LIMIT 1
) AS latest ON true
WHERE accounts.venue = $1 AND ($2::timestamptz IS NULL OR region.updated_at > $2)
"""

# Fills strictly after the latest baseline: one at the very instant is taken as already in it.
BALANCES_FROM_FILLS = """
WITH baseline AS (
    SELECT taken_at FROM balance_snapshots
    WHERE account_id = $1 AND source = 'initial'
    ORDER BY taken_at DESC
    LIMIT 1
),
later AS (
    SELECT * FROM fills
    WHERE account_id = $1
      AND executed_at > COALESCE((SELECT taken_at FROM baseline), '-infinity'::timestamptz)
),
movements (asset, amount) AS (
    SELECT rows.asset, rows.free + rows.locked
    FROM balance_rows AS rows JOIN baseline USING (taken_at)
    WHERE rows.account_id = $1 AND rows.source = 'initial'
    UNION ALL
    SELECT split_part(symbol, '/', 1),
           CASE side WHEN 'buy' THEN quantity ELSE -quantity END
    FROM later
    UNION ALL
    SELECT split_part(split_part(symbol, '/', 2), ':', 1),
           CASE side WHEN 'buy' THEN -(quantity * price) ELSE quantity * price END
    FROM later
    UNION ALL
    SELECT fee_asset, -fee FROM later WHERE fee > 0
)
SELECT asset, sum(amount) AS total FROM movements GROUP BY asset ORDER BY asset
"""


def _refused(error: asyncpg.PostgresError, what: str) -> LedgerError:
    if isinstance(error, asyncpg.ForeignKeyViolationError):
        return LedgerError(f"{what}: account is not in the ledger; call ensure_account first")
    if isinstance(error, asyncpg.CheckViolationError):
        return LedgerError(f"{what}: refused by the schema ({error.constraint_name})")
    return LedgerError(f"{what}: {error}")


class PostgresStore:
    """``LedgerStore`` on an asyncpg pool. Open with ``PostgresStore.open(dsn)``."""

    def __init__(self, pool: asyncpg.Pool, *, dsn: str = "") -> None:
        self._pool = pool
        self._dsn = dsn

    @classmethod
    async def connect(cls, dsn: str, **pool: Unpack[PoolOptions]) -> PostgresStore:
        """Open a pool; ``close()`` it when done. Raises ``LedgerUnavailable``."""
        return cls(await open_pool(dsn, **pool), dsn=dsn)

    @classmethod
    @asynccontextmanager
    async def open(cls, dsn: str, **pool: Unpack[PoolOptions]) -> AsyncIterator[PostgresStore]:
        store = await cls.connect(dsn, **pool)
        try:
            yield store
        finally:
            await store.close()

    @property
    def pool(self) -> asyncpg.Pool:
        """The pool, for reads the port lacks (audit queries, tests).

        Connections return to it without a reset: change no session state on them (use
        ``SET LOCAL`` inside a transaction, and transaction-scoped advisory locks).
        """
        return self._pool

    async def close(self) -> None:
        await self._pool.close()

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """The one place that turns driver errors into ledger errors naming the operation."""
        try:
            yield
        except asyncpg.PostgresError as error:
            raise _refused(error, what) from error
        except (OSError, asyncpg.InterfaceError) as error:
            raise self._unavailable(what, error) from error

    async def _execute(self, what: str, query: str, *args: Any) -> str:
        with self._errors(what):
            return await self._pool.execute(query, *args)

    async def _fetch(self, what: str, query: str, *args: Any) -> list[asyncpg.Record]:
        with self._errors(what):
            return await self._pool.fetch(query, *args)

    async def _fetchrow(self, what: str, query: str, *args: Any) -> asyncpg.Record | None:
        rows = await self._fetch(what, query, *args)
        return rows[0] if rows else None

    def _unavailable(self, what: str, error: BaseException) -> LedgerUnavailable:
        where = f" at {redact(self._dsn)}" if self._dsn else ""
        return LedgerUnavailable(f"{what}: lost the ledger database{where}: {error}")

    # Writes.

    async def ensure_account(self, account: AccountRecord) -> None:
        await self._execute(
            "ensure_account",
            "INSERT INTO accounts (account_id, venue, quote, created_at) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (account_id) DO NOTHING",
            account.account_id,
            account.venue,
            account.quote,
            account.created_at,
        )

    async def record_target_version(self, version: TargetVersion) -> None:
        assets = sorted(version.weights)
        await self._execute(
            "record_target_version",
            RECORD_TARGET_VERSION,
            version.account_id,
            version.effective_at,
            version.source,
            assets,
            [version.weights[asset] for asset in assets],
        )

    async def start_cycle(self, cycle: CycleStart) -> None:
        await self._execute(
            "start_cycle",
            "INSERT INTO cycles (account_id, cycle, trigger, started_at, drift_snapshot)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, cycle) DO NOTHING",
            cycle.account_id,
            cycle.cycle,
            cycle.trigger,
            cycle.started_at,
            cycle.drift_snapshot,
        )

    async def finish_cycle(self, end: CycleEnd) -> None:
        outcome = await self._execute(
            "finish_cycle",
            "UPDATE cycles SET status = $3, ended_at = $4, decision = $5, predicted_cost = $6,"
            " realised_cost = $7 WHERE account_id = $1 AND cycle = $2",
            end.account_id,
            end.cycle,
            end.status,
            end.ended_at,
            end.decision,
            end.predicted_cost,
            end.realised_cost,
        )
        if outcome == "UPDATE 0":
            raise LedgerError(
                f"finish_cycle: account {end.account_id!r} has no cycle {end.cycle}; "
                "call start_cycle first"
            )

    async def upsert_order(self, order: OrderRecord) -> OrderRecord:
        row = await self._fetchrow(
            "upsert_order",
            UPSERT_ORDER,
            order.client_order_id,
            order.account_id,
            order.cycle,
            order.venue,
            order.venue_order_id,
            order.symbol,
            order.side,
            order.quantity,
            order.limit_price,
            order.status,
            order.filled_quantity,
            order.average_price,
            order.created_at,
            order.updated_at,
        )
        if row is not None:
            return OrderRecord.model_validate(dict(row))
        stored = await self.order(order.client_order_id)
        differing = [
            field
            for field in ORDER_IDENTITY
            if stored is not None and getattr(stored, field) != getattr(order, field)
        ]
        raise LedgerConflict(
            f"upsert_order: client_order_id {order.client_order_id!r} is already recorded for "
            f"another order (differs in {', '.join(differing) or 'identity'}); "
            "client order ids must be unique per order"
        )

    async def record_fills(self, fills: Sequence[FillRecord]) -> int:
        if not fills:
            return 0
        count = await self._fetchrow(
            "record_fills",
            RECORD_FILLS,
            [fill.venue for fill in fills],
            [fill.trade_id for fill in fills],
            [fill.account_id for fill in fills],
            [fill.client_order_id for fill in fills],
            [fill.venue_order_id for fill in fills],
            [fill.symbol for fill in fills],
            [fill.side for fill in fills],
            [fill.quantity for fill in fills],
            [fill.price for fill in fills],
            [fill.fee for fill in fills],
            [fill.fee_asset for fill in fills],
            [fill.executed_at for fill in fills],
        )
        assert count is not None
        return int(count[0])

    async def record_balances(self, snapshot: BalanceSnapshot) -> None:
        assets = sorted(snapshot.balances)
        await self._execute(
            "record_balances",
            RECORD_BALANCES,
            snapshot.account_id,
            snapshot.taken_at,
            snapshot.source,
            assets,
            [snapshot.balances[asset].free for asset in assets],
            [snapshot.balances[asset].locked for asset in assets],
        )

    async def save_region(self, account_id: str, region: NoTradeRegion) -> None:
        await self._execute(
            "save_region",
            SAVE_REGION,
            account_id,
            region.quote,
            region.targets,
            region.bands,
            region.sizing,
        )

    # Reads.

    async def watched_accounts(
        self, venue: str, changed_after: datetime | None = None
    ) -> list[WatchedAccount]:
        rows = await self._fetch("watched_accounts", WATCHED_ACCOUNTS, venue, changed_after)
        return [
            WatchedAccount(
                account_id=row["account_id"],
                region=NoTradeRegion(
                    quote=row["quote"],
                    targets=row["targets"],
                    bands=row["bands"],
                    sizing=row["sizing"],
                ),
                holdings=row["holdings"] or {},
                holdings_at=row["holdings_at"],
                updated_at=row["updated_at"],
            )
            for row in rows
        ]

    async def order(self, client_order_id: str) -> OrderRecord | None:
        row = await self._fetchrow(
            "order",
            f"SELECT {ORDER_COLUMNS} FROM orders WHERE client_order_id = $1",
            client_order_id,
        )
        return OrderRecord.model_validate(dict(row)) if row is not None else None

    async def open_orders(self, account_id: str) -> list[OrderRecord]:
        rows = await self._fetch(
            "open_orders",
            f"SELECT {ORDER_COLUMNS} FROM orders"
            " WHERE account_id = $1 AND status = ANY($2::text[])"
            " ORDER BY created_at, client_order_id",
            account_id,
            list(OPEN_STATUSES),
        )
        return [OrderRecord.model_validate(dict(row)) for row in rows]

    async def orders_for_account(self, account_id: str) -> list[OrderRecord]:
        """Every order of the account, oldest first."""
        rows = await self._fetch(
            "orders_for_account",
            f"SELECT {ORDER_COLUMNS} FROM orders WHERE account_id = $1"
            " ORDER BY created_at, client_order_id",
            account_id,
        )
        return [OrderRecord.model_validate(dict(row)) for row in rows]

    async def fills_since(self, account_id: str, since: datetime) -> list[FillRecord]:
        rows = await self._fetch(
            "fills_since",
            f"SELECT {FILL_COLUMNS} FROM fills WHERE account_id = $1 AND executed_at >= $2"
            " ORDER BY executed_at, symbol, trade_id",
            account_id,
            since,
        )
        return [FillRecord.model_validate(dict(row)) for row in rows]

    async def cycles(self, account_id: str, limit: int = 20) -> list[CycleRecord]:
        """The account's latest ``limit`` cycles, newest first."""
        if limit < 1:
            raise ValueError("limit: must be at least 1")
        rows = await self._fetch(
            "cycles",
            f"SELECT {CYCLE_COLUMNS} FROM cycles WHERE account_id = $1"
            " ORDER BY cycle DESC LIMIT $2",
            account_id,
            limit,
        )
        return [CycleRecord.model_validate(dict(row)) for row in rows]

    async def balances_from_fills(self, account_id: str) -> dict[str, Decimal]:
        rows = await self._fetch("balances_from_fills", BALANCES_FROM_FILLS, account_id)
        totals: dict[str, Decimal] = {row["asset"]: row["total"] for row in rows}
        if "" in totals:
            raise LedgerError(
                f"balances_from_fills: account {account_id!r} has fills whose symbol is not "
                "BASE/QUOTE"
            )
        return totals


if TYPE_CHECKING:

    def _implements_the_port(store: PostgresStore) -> LedgerStore:
        return store  # mypy checks PostgresStore against the LedgerStore protocol here
