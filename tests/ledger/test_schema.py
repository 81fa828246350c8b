"""The schema and the record types agree: every value a record allows, the schema stores.

Widening the order status or balance source Literal in rebalancer/ledger/records.py makes one
of these fail until a migration widens the matching CHECK constraint.
"""

from __future__ import annotations

from typing import get_args

import pytest

from rebalancer.ledger.postgres_store import PostgresStore
from rebalancer.ledger.records import (
    BalanceSnapshot,
    CycleEnd,
    CycleStatus,
    CycleTrigger,
    LedgerOrderStatus,
)
from tests.ledger.sample_records import ACCOUNT, account, at, cycle_start, order


@pytest.fixture
async def store(ledger_store: PostgresStore) -> PostgresStore:
    await ledger_store.ensure_account(account())
    return ledger_store


async def test_every_order_status_is_storable(store: PostgresStore) -> None:
    for status in get_args(LedgerOrderStatus):
        stored = await store.upsert_order(order(f"coid-{status}", status=status))
        assert stored.status == status


async def test_every_cycle_trigger_and_status_is_storable(store: PostgresStore) -> None:
    triggers = get_args(CycleTrigger)
    for number, trigger in enumerate(triggers):
        await store.start_cycle(cycle_start(number, trigger=trigger))
    for number, status in enumerate(get_args(CycleStatus)):
        end = CycleEnd(
            account_id=ACCOUNT, cycle=number % len(triggers), ended_at=at(1), status=status
        )
        await store.finish_cycle(end)
        [latest] = [c for c in await store.cycles(ACCOUNT) if c.cycle == end.cycle]
        assert latest.status == status
    assert {c.trigger for c in await store.cycles(ACCOUNT)} == set(triggers)


async def test_every_balance_source_is_storable(store: PostgresStore) -> None:
    sources = get_args(BalanceSnapshot.model_fields["source"].annotation)
    for source in sources:
        await store.record_balances(
            BalanceSnapshot(account_id=ACCOUNT, taken_at=at(0), source=source, balances={})
        )
    assert await store.pool.fetchval("SELECT count(*) FROM balance_snapshots") == len(sources)


async def test_every_amount_is_numeric_and_every_time_timestamptz(store: PostgresStore) -> None:
    rows = await store.pool.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name <> 'schema_migrations'"
    )
    types = {(row["table_name"], row["column_name"]): row["data_type"] for row in rows}
    amount_names = {
        "weight",
        "quantity",
        "limit_price",
        "filled_quantity",
        "average_price",
        "price",
        "fee",
        "free",
        "locked",
        "predicted_cost",
        "realised_cost",
    }
    amounts = [column for column in types if column[1] in amount_names]
    assert {name for _, name in amounts} == amount_names
    assert {types[column] for column in amounts} == {"numeric"}
    times = [column for column in types if column[1].endswith("_at")]
    assert {types[column] for column in times} == {"timestamp with time zone"}
    assert not {"real", "double precision", "timestamp without time zone"} & set(types.values())


async def test_reconciliation_reads_use_their_indexes(store: PostgresStore) -> None:
    # Planner choices on empty tables prove nothing; ask with sequential scans off instead:
    # a query with no usable index still plans a Seq Scan.
    async with store.pool.acquire() as connection, connection.transaction():
        await connection.execute("SET LOCAL enable_seqscan = off")
        for query, index in (
            (
                "SELECT * FROM orders WHERE account_id = 'a' AND status IN ('pending', 'open')"
                " ORDER BY created_at",
                "orders_open_by_account",
            ),
            (
                "SELECT * FROM fills WHERE account_id = 'a' AND executed_at >= now()"
                " ORDER BY executed_at",
                "fills_by_account_time",
            ),
        ):
            plan = "\n".join(row[0] for row in await connection.fetch(f"EXPLAIN {query}"))
            assert index in plan, plan
