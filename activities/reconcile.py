"""reconcile: make the ledger agree with the venue's own records.

Every order the ledger holds as not final is looked up by client id; fills since a point in
time go in once each (the ledger is unique on venue trade id); stale orders from an earlier
cycle are cancelled at the start of a new one; and the cycle's realised cost is measured
against the mid prices at decision time.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from temporalio import activity

from activities.deps import Deps, Step
from activities.ledger_orders import order_record
from rebalancer.domain.numbers import ZERO
from rebalancer.ledger.records import BalanceRow, BalanceSnapshot, FillRecord, OrderRecord
from rebalancer.pipeline.messages import ReconcileRequest, ReconcileResult
from rebalancer.runtime import telemetry
from rebalancer.venue.gateway import VenueGateway
from rebalancer.venue.models import VenueOrder, VenueTrade


class Reconcile(Step):
    @activity.defn(name="reconcile")
    async def run(self, request: ReconcileRequest) -> ReconcileResult:
        account = request.account
        gateway = await self.deps.gateway(account)
        ledger_open = await self.deps.ledger.open_orders(account.account_id)
        for row in ledger_open:
            await _refresh(self.deps, gateway, request, row)
        symbols = set(request.symbols) | {row.symbol for row in ledger_open}
        since = request.since or min((row.created_at for row in ledger_open), default=None)
        trades_per_symbol = await asyncio.gather(
            *(gateway.trades(s, since) for s in sorted(symbols))
        )
        trades = [t for batch in trades_per_symbol for t in batch]
        orders = {
            row.venue_order_id: row
            for row in await self.deps.ledger.orders_for_account(account.account_id)
            if row.venue_order_id is not None
        }
        fills = [
            _fill(account.account_id, account.venue, t, orders.get(t.venue_order_id))
            for t in trades
        ]
        new_fills = await self.deps.ledger.record_fills(fills)
        cycle_trades = [
            t
            for t in trades
            if (o := orders.get(t.venue_order_id)) is not None and o.cycle == request.cycle
        ]
        realised = (
            _realised_cost(cycle_trades, request.decision_mids) if request.decision_mids else None
        )
        if request.slippage_budget_bps:
            _record_slippage(
                account.venue, cycle_trades, request.decision_mids, request.slippage_budget_bps
            )
        if request.record_balances:
            balances = await gateway.balances()
            await self.deps.ledger.record_balances(
                BalanceSnapshot(
                    account_id=account.account_id,
                    taken_at=request.observed_at or datetime.now(UTC),
                    source="reconcile",
                    balances={
                        a: BalanceRow(free=b.free, locked=b.locked) for a, b in balances.items()
                    },
                )
            )
        open_now = await asyncio.gather(*(gateway.open_orders(s) for s in sorted(symbols)))
        return ReconcileResult(
            open_orders=tuple(o for batch in open_now for o in batch),
            fills=tuple(cycle_trades),
            new_fills=new_fills,
            realised_cost=realised,
        )


async def _refresh(
    deps: Deps, gateway: VenueGateway, request: ReconcileRequest, row: OrderRecord
) -> None:
    found: VenueOrder | None = await gateway.fetch_order(row.symbol, row.client_order_id)
    if found is None:
        if row.status == "pending":
            # The placement never reached the venue (it refused, or the request was lost
            # and every retry found nothing): nothing is open, nothing can fill.
            await deps.ledger.upsert_order(
                row.model_copy(update={"status": "rejected", "updated_at": datetime.now(UTC)})
            )
        return
    if request.cancel_stale and not found.is_final and row.cycle < request.cycle:
        found = await gateway.cancel_order(row.symbol, row.client_order_id)
        if not found.is_final:
            found = await gateway.fetch_order(row.symbol, row.client_order_id) or found
    await deps.ledger.upsert_order(order_record(request.account, row.cycle, found, row.created_at))


def _fill(account_id: str, venue: str, trade: VenueTrade, order: OrderRecord | None) -> FillRecord:
    return FillRecord(
        venue=venue,
        trade_id=trade.trade_id,
        account_id=account_id,
        client_order_id=trade.client_order_id or (order.client_order_id if order else None),
        venue_order_id=trade.venue_order_id,
        symbol=trade.symbol,
        side=trade.side,
        quantity=trade.amount,
        price=trade.price,
        fee=trade.fee,
        fee_asset=trade.fee_asset,
        executed_at=trade.executed_at,
    )


def _record_slippage(
    venue: str, trades: list[VenueTrade], mids: dict[str, Decimal], budget_bps: Decimal
) -> None:
    """Each fill's price against the decision-time mid, as a share of the slippage budget."""
    for trade in trades:
        mid = mids.get(trade.symbol)
        if mid is not None:
            worse = trade.price - mid if trade.side == "buy" else mid - trade.price
            telemetry.slippage_utilization(venue, trade.symbol, worse / mid * 10_000 / budget_bps)


def _realised_cost(trades: list[VenueTrade], mids: dict[str, Decimal]) -> Decimal:
    """Fees plus slippage against the decision-time mid, in quote currency."""
    total = ZERO
    for trade in trades:
        mid = mids.get(trade.symbol)
        if mid is None:
            continue
        base, _, quote = trade.symbol.partition("/")
        worse = trade.price - mid if trade.side == "buy" else mid - trade.price
        total += worse * trade.amount
        if trade.fee_asset == quote:
            total += trade.fee
        elif trade.fee_asset == base:
            total += trade.fee * trade.price
    return total
