"""Amounts survive the ledger exactly: NUMERIC in, Decimal out, 18 to 40 significant digits."""

from __future__ import annotations

import decimal
import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebalancer.ledger.postgres_store import PostgresStore
from rebalancer.ledger.records import CycleEnd
from tests.ledger.sample_records import ACCOUNT, account, at, cycle_start, fill, order

# Wider than any venue's precision: 1e-18 steps on 1e12 notionals need 31 digits.
WIDE = decimal.Context(prec=200)
ids = itertools.count()


@st.composite
def exact_decimals(draw: st.DrawFn) -> Decimal:
    """Positive decimals with 18 to 40 significant digits, built digit by digit (no rounding)."""
    digits = draw(st.integers(min_value=18, max_value=40))
    mantissa = draw(st.integers(min_value=10 ** (digits - 1), max_value=10**digits - 1))
    exponent = draw(st.integers(min_value=-36, max_value=6))
    return Decimal((0, tuple(int(d) for d in str(mantissa)), exponent))


@pytest.fixture
async def store(ledger_store: PostgresStore) -> PostgresStore:
    """The ledger with the sample account in it, once for all of a test's examples."""
    await ledger_store.ensure_account(account())
    return ledger_store


SETTINGS = settings(
    max_examples=40,
    deadline=None,
    # One store serves every example; each example writes rows under fresh ids.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(quantity=exact_decimals(), price=exact_decimals(), filled=exact_decimals())
async def test_order_amounts_round_trip_exactly(
    store: PostgresStore, quantity: Decimal, price: Decimal, filled: Decimal
) -> None:
    record = order(
        f"coid-{next(ids)}",
        quantity=quantity,
        limit_price=price,
        filled_quantity=filled,
        average_price=price,
        status="open",
    )
    returned = await store.upsert_order(record)
    stored = await store.order(record.client_order_id)
    assert stored is not None
    for field in ("quantity", "limit_price", "filled_quantity", "average_price"):
        assert getattr(returned, field) == getattr(record, field), field
        assert getattr(stored, field) == getattr(record, field), field


@SETTINGS
@given(
    amounts=st.lists(
        st.tuples(exact_decimals(), exact_decimals(), exact_decimals()), min_size=1, max_size=8
    )
)
async def test_fills_and_derived_balances_are_exact(
    ledger_store: PostgresStore, amounts: list[tuple[Decimal, Decimal, Decimal]]
) -> None:
    account_id = f"acct-{next(ids)}"
    await ledger_store.ensure_account(account(account_id))
    fills = [
        fill(
            str(n),
            account_id=account_id,
            quantity=q,
            price=p,
            fee=f,
            fee_asset="BNB",
            side="buy" if n % 2 else "sell",
        )
        for n, (q, p, f) in enumerate(amounts)
    ]
    assert await ledger_store.record_fills(fills) == len(fills)
    stored = await ledger_store.fills_since(account_id, at(0))
    assert len(stored) == len(fills)
    by_id = {f.trade_id: f for f in stored}
    for original in fills:
        back = by_id[original.trade_id]
        for field in ("quantity", "price", "fee"):
            assert getattr(back, field) == getattr(original, field), field

    with decimal.localcontext(WIDE):
        sign = {"buy": 1, "sell": -1}
        expected = {
            "BTC": sum((sign[f.side] * f.quantity for f in fills), Decimal(0)),
            "USDT": sum((-sign[f.side] * f.quantity * f.price for f in fills), Decimal(0)),
            "BNB": -sum((f.fee for f in fills), Decimal(0)),
        }
    assert await ledger_store.balances_from_fills(account_id) == expected


@SETTINGS
@given(predicted=exact_decimals(), realised=exact_decimals(), inside_json=exact_decimals())
async def test_cycle_costs_and_json_amounts_round_trip_exactly(
    store: PostgresStore, predicted: Decimal, realised: Decimal, inside_json: Decimal
) -> None:
    number = next(ids)
    await store.start_cycle(cycle_start(number, drift_snapshot={"BTC": inside_json}))
    await store.finish_cycle(
        CycleEnd(
            account_id=ACCOUNT,
            cycle=number,
            ended_at=at(1),
            status="completed",
            decision={"quantity": inside_json},
            predicted_cost=predicted,
            realised_cost=-realised,
        )
    )
    [cycle] = await store.cycles(ACCOUNT, limit=1)
    assert cycle.predicted_cost == predicted
    assert cycle.realised_cost == -realised
    assert cycle.decision is not None
    assert Decimal(cycle.decision["quantity"]) == inside_json
    assert Decimal(cycle.drift_snapshot["BTC"]) == inside_json
