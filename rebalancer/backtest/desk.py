"""One policy's account at its own in-process paper venue, on the backtest's clock.

The desk is what a policy trades through: it reads books and balances, places and cancels
orders, and remembers, for every order, the market's mid at the moment the policy decided
(the reference every cost is measured against). It never decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from rebalancer.domain.market import MarketRules, OrderBook, Quote, symbol_for
from rebalancer.domain.numbers import ZERO, div, floor_to_step
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.snapshot import Position, Snapshot
from rebalancer.paper.orders import OrderRejected, OrderRequest, PaperOrder
from rebalancer.paper.venue import PaperVenue

ACCOUNT_ID = "backtest"


@dataclass
class PlacedOrder:
    """An order the policy placed, and the mid of its decision (the cost reference)."""

    order: PaperOrder
    decision_mid: Decimal
    decided_at: datetime


class Desk:
    def __init__(self, venue: PaperVenue, quote: str, assets: list[str], start: datetime) -> None:
        self.venue = venue
        self.quote = quote
        # Non-quote assets, in a stable order.
        self.assets = sorted(assets)
        self.clock = start
        self.placed: list[PlacedOrder] = []
        self.rejected: dict[str, int] = {}
        self._rules = {a: venue.rules(self.symbol(a)) for a in self.assets}
        venue.advance(start)

    def symbol(self, asset: str) -> str:
        return symbol_for(asset, self.quote)

    def rules(self, asset: str) -> MarketRules:
        return self._rules[asset]

    @property
    def markets(self) -> dict[str, MarketRules]:
        return {rules.symbol: rules for rules in self._rules.values()}

    # ------------------------------------------------------------------ time

    def advance(self, moment: datetime) -> None:
        """Move the clock forward to ``moment`` (never back); resting orders fill meanwhile."""
        if moment > self.clock:
            self.clock = moment
        self.venue.advance(self.clock)

    # ---------------------------------------------------------------- market

    def mid(self, asset: str) -> Decimal:
        """The market model's mid now: the same for every policy, untouched by its orders."""
        if asset == self.quote:
            return Decimal(1)
        return self.venue.state(self.symbol(asset), self.clock).mid

    def book(self, asset: str, depth: int) -> OrderBook:
        return self.venue.book(self.symbol(asset), self.clock, depth)

    def quote_of(self, asset: str) -> Quote:
        """Best bid and ask as a venue's ticker shows them (one level is enough)."""
        book = self.book(asset, 1)
        if book.best_bid is None or book.best_ask is None:
            return book.quote()  # refused: a one-sided book has no quote
        return Quote.model_construct(bid=book.best_bid, ask=book.best_ask)

    # -------------------------------------------------------------- balances

    def fund(self, equity: Decimal, targets: dict[str, Decimal]) -> None:
        """Start at target: ``equity`` in quote, bought at the first mids at no cost."""
        balances: dict[str, Decimal] = {}
        spent = ZERO
        for asset in self.assets:
            mid = self.mid(asset)
            quantity = floor_to_step(div(equity * targets[asset], mid), self.rules(asset).step_size)
            balances[asset] = quantity
            spent += quantity * mid
        balances[self.quote] = equity - spent
        rules = next(iter(self._rules.values()))
        self.venue.add_account(
            ACCOUNT_ID, balances, maker_fee=rules.maker_fee, taker_fee=rules.taker_fee
        )

    # The positions, quotes and snapshot below are built from the in-process venue's own
    # records, valid by construction, so they skip pydantic's validation (as
    # ``OrderBook.trusted`` does): it was a third of a check's cost. What a real venue
    # reports is validated by the workflow as before; ``tests/backtest/test_desk.py``
    # holds these equal to validated ones.

    def positions(self) -> tuple[Position, ...]:
        holdings = self.venue.account(ACCOUNT_ID).holdings
        position = Position.model_construct
        return tuple(
            position(asset=asset, quantity=held.free + held.locked, free=held.free)
            for asset in sorted([*self.assets, self.quote])
            if (held := holdings.get(asset)) is not None
        )

    def snapshot(
        self, targets: dict[str, Decimal], policy: PolicySettings | None = None
    ) -> Snapshot:
        """The account and the market now, against ``targets``: what a policy decides on,
        under its ``policy`` settings (the default ones when not given)."""
        fields: dict[str, Any] = {
            "quote": self.quote,
            "positions": self.positions(),
            "prices": {self.symbol(a): self.quote_of(a) for a in self.assets},
            "targets": dict(targets),
            "markets": self.markets,
        }
        if policy is not None:
            fields["policy"] = policy
        return Snapshot.model_construct(**fields)

    def totals(self) -> dict[str, Decimal]:
        account = self.venue.account(ACCOUNT_ID)
        return {
            asset: account.free(asset) + account.locked(asset)
            for asset in [*self.assets, self.quote]
        }

    def free(self, asset: str) -> Decimal:
        return self.venue.account(ACCOUNT_ID).free(asset)

    # ---------------------------------------------------------------- orders

    def place(
        self, request: OrderRequest, decision_mid: Decimal, decided_at: datetime
    ) -> PaperOrder | OrderRejected:
        """Place now; a refusal is counted by reason and returned, as a venue's final error
        is in the workflow (the leg is held with the reason)."""
        try:
            order = self.venue.place_order(ACCOUNT_ID, request, self.clock)
        except OrderRejected as error:
            self.rejected[error.reason] = self.rejected.get(error.reason, 0) + 1
            return error
        self.placed.append(PlacedOrder(order, decision_mid, decided_at))
        return order

    def cancel(self, order: PaperOrder) -> PaperOrder:
        """Cancel what is left; an order that finished meanwhile is simply returned."""
        self.advance(self.clock)
        if order.is_open:
            self.venue.cancel_order(ACCOUNT_ID, order.symbol, self.clock, order_id=order.order_id)
        return order

    def cancel_open_orders(self) -> None:
        for order in self.venue.open_orders(ACCOUNT_ID, now=self.clock):
            self.cancel(order)
