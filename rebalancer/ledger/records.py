"""Rows of the ledger, as exact pydantic models. Every amount is Decimal, every time UTC."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from rebalancer.cycle.port import CycleTrigger
from rebalancer.domain.market import Frozen, Side
from rebalancer.domain.no_trade import NoTradeRegion
from rebalancer.domain.numbers import Dec, NonNegDec, PosDec
from rebalancer.venue.models import OrderStatus

CycleStatus = Literal["running", "completed", "failed", "skipped", "paused"]
# The venue's statuses (final ones: venue.models.FINAL_STATUSES), and 'pending', the ledger's
# own: written before the placement call, so a crash between the venue accepting and us
# recording still leaves a row that reconciliation resolves.
LedgerOrderStatus = Literal["pending", OrderStatus]


class AccountRecord(Frozen):
    account_id: str
    venue: str
    quote: str
    created_at: AwareDatetime


class TargetVersion(Frozen):
    account_id: str
    effective_at: AwareDatetime
    weights: dict[str, Dec]
    source: str = "cli"


class CycleKey(Frozen):
    """Which cycle of which account: the natural key of a cycle row."""

    account_id: str
    cycle: int = Field(ge=0)


class CycleStart(CycleKey):
    trigger: CycleTrigger
    started_at: AwareDatetime
    drift_snapshot: dict[str, Any] = Field(default_factory=dict)


class CycleEnd(CycleKey):
    ended_at: AwareDatetime
    status: CycleStatus
    decision: dict[str, Any] = Field(default_factory=dict)
    predicted_cost: Dec | None = None
    realised_cost: Dec | None = None


class OrderRecord(Frozen):
    client_order_id: str
    account_id: str
    cycle: int = Field(ge=0)
    venue: str
    venue_order_id: str | None = None
    symbol: str
    side: Side
    quantity: PosDec
    limit_price: PosDec
    status: LedgerOrderStatus
    filled_quantity: NonNegDec = Decimal(0)
    average_price: PosDec | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class FillRecord(Frozen):
    venue: str
    trade_id: str
    account_id: str
    client_order_id: str | None
    venue_order_id: str
    symbol: str
    side: Side
    quantity: PosDec
    price: PosDec
    # Negative for a maker rebate.
    fee: Dec
    fee_asset: str
    executed_at: AwareDatetime


class BalanceRow(Frozen):
    free: NonNegDec
    locked: NonNegDec


class BalanceSnapshot(Frozen):
    account_id: str
    taken_at: AwareDatetime
    # 'initial' marks the baseline that balances_from_fills starts from.
    source: Literal["initial", "cycle", "reconcile"] = "cycle"
    balances: dict[str, BalanceRow]


class CycleRecord(CycleStart):
    """A cycle as the audit reads it: how it started and, once finished, how it ended."""

    status: CycleStatus
    ended_at: AwareDatetime | None = None
    decision: dict[str, Any] | None = None
    predicted_cost: Dec | None = None
    realised_cost: Dec | None = None


class WatchedAccount(Frozen):
    """One account as the fleet watcher reads it: its no-trade region and the holdings
    (free plus locked) of its latest balance snapshot, our own reconciled fills included."""

    account_id: str
    region: NoTradeRegion
    holdings: dict[str, Dec]
    holdings_at: AwareDatetime | None
    updated_at: AwareDatetime
