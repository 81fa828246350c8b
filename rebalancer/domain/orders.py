"""Orders as the policy plans them: deterministic ids, exchange-legal amounts and prices."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

from pydantic import Field

from rebalancer.domain.costs import CostEstimate
from rebalancer.domain.market import Frozen, MarketRules, OrderBook, Side
from rebalancer.domain.numbers import PosDec, div, exact, round_to_tick
from rebalancer.domain.policy_settings import ExecutionStyle

# Binance spot's newClientOrderId rule (Bybit's orderLinkId is the same); a venue that
# accepts less gets a digest of the id in its own format (``venue.profiles``).
CLIENT_ORDER_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
# Every id rebalancer sends starts so, in whatever form a venue needs: how an order of ours
# is told from one placed by hand on the same account.
CLIENT_ID_PREFIX = "rb"


class PlannedOrder(Frozen):
    asset: str
    symbol: str
    side: Side
    amount: PosDec
    price: PosDec
    style: ExecutionStyle
    # Leg is the asset; slice counts orders placed for the leg within a cycle, re-prices
    # included, so every order of a cycle has its own id.
    slice: int = Field(default=0, ge=0)
    predicted_cost: CostEstimate | None = None

    @property
    @exact
    def notional(self) -> Decimal:
        return self.amount * self.price


def client_order_id(account_id: str, cycle: int, leg: str, slice_number: int) -> str:
    """The idempotency key of an order: the same inputs always give the same id.

    Readable when it fits the venue's 36 characters; otherwise a hash of the same inputs.
    Retries of a placement reuse the id, so the venue itself refuses a duplicate.
    """
    if cycle < 0 or slice_number < 0:
        raise ValueError("cycle and slice must not be negative")
    account_tag = hashlib.sha256(account_id.encode()).hexdigest()[:8]
    readable = f"{CLIENT_ID_PREFIX}-{account_tag}-{cycle}-{leg}-{slice_number}"
    if CLIENT_ORDER_ID.match(readable):
        return readable
    digest = hashlib.sha256(f"{account_id}|{cycle}|{leg}|{slice_number}".encode()).hexdigest()
    return f"{CLIENT_ID_PREFIX}-{digest[:33]}"


@exact
def limit_price(
    book: OrderBook,
    side: Side,
    rules: MarketRules,
    style: ExecutionStyle,
    cost: CostEstimate | None,
    slippage_budget_bps: Decimal,
) -> Decimal:
    """The limit price for an order, on the tick grid, rounded toward the passive side.

    Passive orders join the touch on their own side. Marketable ones reach the last level
    the depth walk needs: the quantity was already cut so that the walk's volume-weighted
    price stays within the slippage budget, and the limit caps every fill at that level.
    Without a walk, the price is mid plus the budget.
    """
    mid = book.mid
    assert mid is not None
    if style == "passive":
        touch = book.best_bid if side == "buy" else book.best_ask
        assert touch is not None
        return round_to_tick(touch, rules.tick_size, side=side)
    if cost is not None and cost.filled > 0:
        return round_to_tick(cost.worst_price, rules.tick_size, side=side)
    budget = div(slippage_budget_bps, Decimal(10_000))
    bound = mid * (1 + budget) if side == "buy" else mid * (1 - budget)
    return round_to_tick(bound, rules.tick_size, side=side)


def is_valid_client_order_id(value: str) -> bool:
    return bool(CLIENT_ORDER_ID.match(value))
