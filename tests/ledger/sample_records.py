"""Ledger records for tests, with defaults a test overrides only where it matters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from rebalancer.ledger.records import AccountRecord, CycleStart, FillRecord, OrderRecord

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
ACCOUNT = "acct-1"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def account(account_id: str = ACCOUNT, **changes: Any) -> AccountRecord:
    fields: dict[str, Any] = {
        "account_id": account_id,
        "venue": "paper",
        "quote": "USDT",
        "created_at": T0,
    }
    return AccountRecord(**(fields | changes))


def cycle_start(cycle: int = 1, **changes: Any) -> CycleStart:
    fields: dict[str, Any] = {
        "account_id": ACCOUNT,
        "cycle": cycle,
        "trigger": "timer",
        "started_at": at(cycle * 60),
    }
    return CycleStart(**(fields | changes))


def order(client_order_id: str = "rb-acct-1-1-BTC", **changes: Any) -> OrderRecord:
    fields: dict[str, Any] = {
        "client_order_id": client_order_id,
        "account_id": ACCOUNT,
        "cycle": 1,
        "venue": "paper",
        "symbol": "BTC/USDT",
        "side": "buy",
        "quantity": Decimal("0.5"),
        "limit_price": Decimal("60000.10"),
        "status": "pending",
        "created_at": T0,
        "updated_at": T0,
    }
    return OrderRecord(**(fields | changes))


def fill(trade_id: str = "1001", **changes: Any) -> FillRecord:
    fields: dict[str, Any] = {
        "venue": "paper",
        "trade_id": trade_id,
        "account_id": ACCOUNT,
        "client_order_id": "rb-acct-1-1-BTC",
        "venue_order_id": "77",
        "symbol": "BTC/USDT",
        "side": "buy",
        "quantity": Decimal("0.1"),
        "price": Decimal("60000.10"),
        "fee": Decimal("0.0001"),
        "fee_asset": "BTC",
        "executed_at": at(10),
    }
    return FillRecord(**(fields | changes))
