"""Two workers writing the same order or the same fills at once, each through its own pool."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from rebalancer.ledger.postgres_store import PostgresStore
from rebalancer.ledger.records import OrderRecord
from rebalancer.venue.models import FINAL_STATUSES
from tests.ledger.sample_records import account, at, fill, order

RANK = {"pending": 0, "open": 1} | dict.fromkeys(FINAL_STATUSES, 2)
ORDERS = 12
UPDATES_PER_WRITER = 15


@pytest.fixture
async def two_stores(ledger_dsn: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    async with (
        PostgresStore.open(ledger_dsn, min_size=4, max_size=4) as first,
        PostgresStore.open(ledger_dsn, min_size=4, max_size=4) as second,
    ):
        await first.ensure_account(account())
        yield first, second


def updates(rng: random.Random, client_order_id: str) -> list[OrderRecord]:
    """A shuffled mix of every kind of update a worker might send: stale, fresh, final."""
    statuses = ["pending", "open", "open", "open", *sorted(FINAL_STATUSES)]
    result = []
    for step in range(UPDATES_PER_WRITER):
        status = rng.choice(statuses)
        filled = Decimal(rng.randint(0, 50)) / Decimal(100)
        result.append(
            order(
                client_order_id,
                status=status,
                venue_order_id=f"v-{client_order_id}",
                filled_quantity=filled,
                average_price=Decimal("60000") + filled if filled else None,
                updated_at=at(step),
            )
        )
    return result


async def write(store: PostgresStore, sequence: list[OrderRecord]) -> list[OrderRecord]:
    seen = []
    for update in sequence:
        seen.append(await store.upsert_order(update))
    return seen


async def test_concurrent_upserts_never_regress_an_order(
    two_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    rng = random.Random(20250106)
    plans: dict[str, tuple[list[OrderRecord], list[OrderRecord]]] = {
        f"coid-{n}": (updates(rng, f"coid-{n}"), updates(rng, f"coid-{n}")) for n in range(ORDERS)
    }
    first, second = two_stores
    tasks = []
    for first_plan, second_plan in plans.values():
        tasks.append(write(first, first_plan))
        tasks.append(write(second, second_plan))
    results = await asyncio.gather(*tasks)

    # What each writer saw back: the order only ever moved forward.
    for seen in results:
        ranks = [RANK[record.status] for record in seen]
        assert ranks == sorted(ranks)
        filled = [record.filled_quantity for record in seen]
        assert filled == sorted(filled)
        finals = {record.status for record in seen if record.status in FINAL_STATUSES}
        assert len(finals) <= 1  # once final, the same final status for good

    for client_order_id, (first_plan, second_plan) in plans.items():
        written = first_plan + second_plan
        stored = await first.order(client_order_id)
        assert stored is not None
        assert RANK[stored.status] == max(RANK[update.status] for update in written)
        assert stored.status in {update.status for update in written}
        assert stored.filled_quantity == max(update.filled_quantity for update in written)


async def test_a_final_status_wins_against_a_concurrent_stale_update(
    two_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_stores
    for attempt in range(20):
        client_order_id = f"race-{attempt}"
        await first.upsert_order(order(client_order_id, status="open"))
        await asyncio.gather(
            first.upsert_order(order(client_order_id, status="canceled", updated_at=at(2))),
            second.upsert_order(order(client_order_id, status="open", updated_at=at(1))),
        )
        stored = await second.order(client_order_id)
        assert stored is not None
        assert stored.status == "canceled"


async def test_concurrent_fill_recording_stores_each_fill_once(
    two_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_stores
    trade_ids = [str(n) for n in range(200)]
    rng = random.Random(7)
    batches = []
    for _ in range(8):
        chosen = rng.sample(trade_ids, 60)
        batches.append([fill(trade_id, executed_at=at(int(trade_id))) for trade_id in chosen])
    stores = [first, second] * 4
    new = await asyncio.gather(
        *(store.record_fills(batch) for store, batch in zip(stores, batches, strict=True))
    )
    distinct = {f.trade_id for batch in batches for f in batch}
    assert sum(new) == len(distinct)
    assert len(await first.fills_since("acct-1", at(0))) == len(distinct)
