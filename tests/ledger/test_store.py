from __future__ import annotations

from decimal import Decimal

import pytest

from rebalancer.ledger.errors import LedgerConflict, LedgerError, LedgerUnavailable
from rebalancer.ledger.postgres_store import PostgresStore
from rebalancer.ledger.records import (
    BalanceRow,
    BalanceSnapshot,
    CycleEnd,
    OrderRecord,
    TargetVersion,
)
from tests.ledger.sample_records import ACCOUNT, account, at, cycle_start, fill, order


async def count(store: PostgresStore, table: str) -> int:
    value = await store.pool.fetchval(f"SELECT count(*) FROM {table}")
    assert isinstance(value, int)
    return value


@pytest.fixture
async def store(ledger_store: PostgresStore) -> PostgresStore:
    await ledger_store.ensure_account(account())
    return ledger_store


# Accounts, targets, cycles.


async def test_ensure_account_is_idempotent(store: PostgresStore) -> None:
    await store.ensure_account(account())
    await store.ensure_account(account(venue="binance"))
    assert await count(store, "accounts") == 1
    assert await store.pool.fetchval("SELECT venue FROM accounts") == "paper"


async def test_writes_for_an_unknown_account_are_refused_clearly(store: PostgresStore) -> None:
    with pytest.raises(LedgerError, match="upsert_order: account is not in the ledger"):
        await store.upsert_order(order(account_id="nobody"))


async def test_target_version_is_recorded_once_with_exact_weights(store: PostgresStore) -> None:
    weights = {"BTC": Decimal("0.40"), "ETH": Decimal("0.35"), "USDT": Decimal("0.25")}
    version = TargetVersion(account_id=ACCOUNT, effective_at=at(0), weights=weights)
    await store.record_target_version(version)
    await store.record_target_version(version)
    await store.record_target_version(
        TargetVersion(account_id=ACCOUNT, effective_at=at(0), weights={"BTC": Decimal(1)})
    )
    assert await count(store, "target_versions") == 1
    rows = await store.pool.fetch("SELECT asset, weight FROM target_weights ORDER BY asset")
    assert {row["asset"]: row["weight"] for row in rows} == weights
    assert [str(row["weight"]) for row in rows] == ["0.40", "0.35", "0.25"]


async def test_a_repeated_cycle_start_keeps_the_first(store: PostgresStore) -> None:
    await store.start_cycle(cycle_start(1, trigger="timer", drift_snapshot={"BTC": Decimal("0.1")}))
    await store.start_cycle(cycle_start(1, trigger="force"))
    [cycle] = await store.cycles(ACCOUNT)
    assert (cycle.trigger, cycle.status, cycle.ended_at) == ("timer", "running", None)
    # Decimals inside JSON are stored as strings, so they come back exact.
    assert cycle.drift_snapshot == {"BTC": "0.1"}


async def test_finishing_a_cycle_records_the_outcome(store: PostgresStore) -> None:
    await store.start_cycle(cycle_start(1))
    end = CycleEnd(
        account_id=ACCOUNT,
        cycle=1,
        ended_at=at(90),
        status="completed",
        decision={"orders": [{"symbol": "BTC/USDT", "quantity": Decimal("0.123456789012345678")}]},
        predicted_cost=Decimal("12.345678901234567890"),
        realised_cost=Decimal("11.000000000000000001"),
    )
    await store.finish_cycle(end)
    await store.finish_cycle(end)
    [cycle] = await store.cycles(ACCOUNT)
    assert cycle.status == "completed"
    assert cycle.ended_at == at(90)
    assert cycle.predicted_cost == Decimal("12.345678901234567890")
    assert cycle.realised_cost == Decimal("11.000000000000000001")
    assert cycle.decision == {
        "orders": [{"symbol": "BTC/USDT", "quantity": "0.123456789012345678"}]
    }


async def test_finishing_a_cycle_never_started_is_an_error(store: PostgresStore) -> None:
    end = CycleEnd(account_id=ACCOUNT, cycle=7, ended_at=at(1), status="failed")
    with pytest.raises(LedgerError, match="has no cycle 7; call start_cycle first"):
        await store.finish_cycle(end)


async def test_cycles_are_listed_newest_first(store: PostgresStore) -> None:
    for number in range(5):
        await store.start_cycle(cycle_start(number))
    assert [cycle.cycle for cycle in await store.cycles(ACCOUNT, limit=3)] == [4, 3, 2]
    assert await store.cycles("someone-else") == []


# Orders.


def reported(
    status: str, filled: str, average: str, seconds: int, venue_order_id: str | None = "77"
) -> OrderRecord:
    """The sample order as the venue reports it: `filled` at `average`, at `seconds`."""
    return order(
        status=status,
        venue_order_id=venue_order_id,
        filled_quantity=Decimal(filled),
        average_price=Decimal(average),
        updated_at=at(seconds),
    )


async def test_order_moves_forward_through_its_states(store: PostgresStore) -> None:
    pending = await store.upsert_order(order())
    assert pending.status == "pending"
    opened = await store.upsert_order(order(status="open", venue_order_id="77", updated_at=at(1)))
    assert (opened.status, opened.venue_order_id) == ("open", "77")
    partial = await store.upsert_order(reported("open", "0.2", "60000.05", 2))
    assert (partial.filled_quantity, partial.average_price) == (
        Decimal("0.2"),
        Decimal("60000.05"),
    )
    closed = await store.upsert_order(reported("closed", "0.5", "60000.08", 3))
    assert closed.status == "closed"
    assert await store.order("rb-acct-1-1-BTC") == closed
    assert await count(store, "orders") == 1


async def test_a_final_status_is_never_replaced(store: PostgresStore) -> None:
    await store.upsert_order(reported("closed", "0.5", "60000", 5))
    # A stale poll result, a retried placement and a late cancel all arrive afterwards.
    late_open = await store.upsert_order(reported("open", "0.1", "59000", 2, venue_order_id=None))
    retried = await store.upsert_order(order(status="pending", updated_at=at(1)))
    canceled = await store.upsert_order(order(status="canceled", updated_at=at(6)))
    for seen in (late_open, retried, canceled):
        assert seen.status == "closed"
        assert seen.filled_quantity == Decimal("0.5")
        assert seen.average_price == Decimal("60000")
        assert seen.venue_order_id == "77"
    assert canceled.updated_at == at(6)


async def test_open_never_goes_back_to_pending(store: PostgresStore) -> None:
    await store.upsert_order(order(status="open", venue_order_id="77"))
    again = await store.upsert_order(order(status="pending"))
    assert (again.status, again.venue_order_id) == ("open", "77")


async def test_filled_quantity_never_decreases(store: PostgresStore) -> None:
    await store.upsert_order(
        order(status="open", filled_quantity=Decimal("0.3"), average_price=Decimal("60000"))
    )
    stale = await store.upsert_order(
        order(status="open", filled_quantity=Decimal("0.1"), average_price=Decimal("61000"))
    )
    assert (stale.filled_quantity, stale.average_price) == (Decimal("0.3"), Decimal("60000"))


async def test_a_different_order_under_the_same_client_id_is_a_conflict(
    store: PostgresStore,
) -> None:
    await store.upsert_order(order())
    with pytest.raises(LedgerConflict, match="differs in side"):
        await store.upsert_order(order(side="sell", status="open"))
    stored = await store.order("rb-acct-1-1-BTC")
    assert stored is not None
    assert (stored.status, stored.side) == ("pending", "buy")


async def test_quantity_and_price_keep_their_first_values(store: PostgresStore) -> None:
    await store.upsert_order(order())
    echoed = await store.upsert_order(
        order(quantity=Decimal("0.50000000"), limit_price=Decimal("60000.1"), status="open")
    )
    assert echoed.status == "open"
    assert (str(echoed.quantity), str(echoed.limit_price)) == ("0.5", "60000.10")


async def test_open_orders_lists_live_orders_oldest_first(store: PostgresStore) -> None:
    await store.ensure_account(account("acct-2"))
    await store.upsert_order(order("c", status="open", created_at=at(3), updated_at=at(3)))
    await store.upsert_order(order("a", status="pending", created_at=at(1), updated_at=at(1)))
    await store.upsert_order(order("b", status="closed", created_at=at(2), updated_at=at(2)))
    await store.upsert_order(order("d", status="expired", created_at=at(0), updated_at=at(0)))
    await store.upsert_order(order("e", account_id="acct-2", status="open"))
    assert [o.client_order_id for o in await store.open_orders(ACCOUNT)] == ["a", "c"]
    assert [o.client_order_id for o in await store.orders_for_account(ACCOUNT)] == [
        "d",
        "a",
        "b",
        "c",
    ]
    assert await store.order("missing") is None


# Fills.


async def test_the_same_fill_twice_gives_one_row(store: PostgresStore) -> None:
    assert await store.record_fills([fill("1001")]) == 1
    assert await store.record_fills([fill("1001")]) == 0
    assert await count(store, "fills") == 1
    assert await store.fills_since(ACCOUNT, at(0)) == [fill("1001")]


async def test_a_maker_rebate_is_kept_as_a_negative_fee(store: PostgresStore) -> None:
    # OKX and Bybit pay some accounts for resting liquidity: the fee the venue reports is
    # negative, and a ledger that refused it would leave reconcile retrying for ever.
    rebate = fill("2001", fee=Decimal("-0.000012345678901234567"), fee_asset="USDT")
    assert await store.record_fills([rebate]) == 1
    assert await store.fills_since(ACCOUNT, at(0)) == [rebate]


async def test_a_batch_counts_only_new_fills(store: PostgresStore) -> None:
    await store.record_fills([fill("1")])
    assert await store.record_fills([fill("1"), fill("2"), fill("2"), fill("3")]) == 2
    assert await store.record_fills([]) == 0
    assert await count(store, "fills") == 3


async def test_trade_ids_are_unique_per_symbol_and_account(store: PostgresStore) -> None:
    # Venues number trades per symbol; both sides of a trade between two of our accounts
    # carry the same id.
    await store.ensure_account(account("acct-2"))
    new = await store.record_fills(
        [
            fill("5"),
            fill("5", symbol="ETH/USDT", fee_asset="ETH"),
            fill("5", account_id="acct-2", side="sell", fee_asset="USDT"),
        ]
    )
    assert new == 3


async def test_fills_since_includes_the_boundary_in_time_order(store: PostgresStore) -> None:
    await store.record_fills(
        [
            fill("3", executed_at=at(30)),
            fill("1", executed_at=at(10)),
            fill("2", executed_at=at(20)),
        ]
    )
    assert [f.trade_id for f in await store.fills_since(ACCOUNT, at(20))] == ["2", "3"]
    assert [f.trade_id for f in await store.fills_since(ACCOUNT, at(0))] == ["1", "2", "3"]
    assert await store.fills_since(ACCOUNT, at(31)) == []


# Balances.


def snapshot(seconds: float, source: str = "initial", **balances: str) -> BalanceSnapshot:
    return BalanceSnapshot.model_validate(
        {
            "account_id": ACCOUNT,
            "taken_at": at(seconds),
            "source": source,
            "balances": {
                asset: {"free": amount, "locked": "0"} for asset, amount in balances.items()
            },
        }
    )


async def test_balance_snapshots_are_recorded_once(store: PostgresStore) -> None:
    first = snapshot(0, BTC="1.5", USDT="100")
    await store.record_balances(first)
    await store.record_balances(first)
    await store.record_balances(snapshot(0, ETH="3"))
    await store.record_balances(snapshot(0, "cycle", ETH="3"))
    assert await count(store, "balance_snapshots") == 2
    assert await count(store, "balance_rows") == 3


async def test_balances_from_fills_start_at_the_latest_baseline(store: PostgresStore) -> None:
    await store.record_balances(snapshot(-100, BTC="9", USDT="9"))  # superseded
    await store.record_balances(
        BalanceSnapshot(
            account_id=ACCOUNT,
            taken_at=at(0),
            source="initial",
            balances={
                "BTC": BalanceRow(free=Decimal("1.5"), locked=Decimal("0.25")),
                "USDT": BalanceRow(free=Decimal("1000"), locked=Decimal("0")),
            },
        )
    )
    await store.record_balances(snapshot(5, "cycle", BTC="123"))  # not a baseline
    await store.record_fills(
        [
            fill("0", executed_at=at(-1)),  # before the baseline: already in it
            fill("00", executed_at=at(0)),  # at the instant of the baseline: also in it
            # buy 0.1 BTC at 60000.10, fee 0.0001 BTC
            fill("1"),
            *(
                fill(
                    trade_id,
                    symbol=symbol,
                    side=side,
                    quantity=Decimal(quantity),
                    price=Decimal(price),
                    fee=Decimal(fee),
                    fee_asset=fee_asset,
                )
                for trade_id, symbol, side, quantity, price, fee, fee_asset in [
                    ("2", "BTC/USDT", "sell", "0.05", "61000", "3.05", "USDT"),
                    ("3", "ETH/USDT", "buy", "2", "3000.5", "0.002", "BNB"),  # fee paid in BNB
                    ("4", "ETH/USDT", "buy", "1", "3000", "0", "ETH"),
                ]
            ),
        ]
    )
    balances = await store.balances_from_fills(ACCOUNT)
    assert balances == {
        "BTC": Decimal("1.75") + Decimal("0.1") - Decimal("0.0001") - Decimal("0.05"),
        "USDT": Decimal("1000")
        - Decimal("6000.010")
        + Decimal("3050")
        - Decimal("3.05")
        - Decimal("6001")
        - Decimal("3000"),
        "ETH": Decimal("3"),
        "BNB": Decimal("-0.002"),
    }


async def test_balances_from_fills_without_a_baseline_start_at_zero(
    store: PostgresStore,
) -> None:
    await store.record_fills([fill("1", fee=Decimal("0"))])
    assert await store.balances_from_fills(ACCOUNT) == {
        "BTC": Decimal("0.1"),
        "USDT": Decimal("-6000.010"),
    }
    assert await store.balances_from_fills("nobody") == {}


# Connecting.


async def test_an_unreachable_database_is_named_in_the_error() -> None:
    dsn = "postgresql://ledger:secret@/nowhere?host=/nonexistent-socket-dir"
    with pytest.raises(LedgerUnavailable, match="DATABASE_URL") as caught:
        await PostgresStore.connect(dsn)
    assert "secret" not in str(caught.value)
    assert "/nonexistent-socket-dir" in str(caught.value)


async def test_open_closes_the_pool(ledger_dsn: str) -> None:
    async with PostgresStore.open(ledger_dsn, min_size=2, max_size=3) as store:
        assert store.pool.get_min_size() == 2
        assert store.pool.get_max_size() == 3
    assert store.pool.is_closing()
