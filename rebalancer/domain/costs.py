"""Predicted execution cost of a trade: fees, half-spread and the walk of an L2 book.

Costs are measured against the mid price, in quote currency and in bps of the traded
notional at mid. A marketable order pays the taker fee, the half-spread and whatever it
pays beyond the touch as it walks the book (impact). A passive order resting at the touch
pays the maker fee and earns the half-spread, if it fills.
"""

from __future__ import annotations

from decimal import Decimal

from rebalancer.domain.market import BookLevel, Frozen, MarketRules, OrderBook, Side
from rebalancer.domain.numbers import ZERO, Dec, NonNegDec, div, div_down, exact, to_bps
from rebalancer.domain.policy_settings import ExecutionStyle


class CostEstimate(Frozen):
    side: Side
    requested: NonNegDec
    # What the visible book absorbs of ``requested``; all of it when ``fully_absorbed``.
    filled: NonNegDec
    mid: Dec
    vwap: Dec
    # The last price the walk touches: a limit there fills the whole walk.
    worst_price: Dec
    fee: Dec
    spread: Dec
    impact: Dec
    total: Dec
    total_bps: Dec
    fully_absorbed: bool

    @property
    @exact
    def notional_at_mid(self) -> Decimal:
        return self.filled * self.mid


def _signed(side: Side, price: Decimal, mid: Decimal) -> Decimal:
    """How much worse than mid one unit at ``price`` is for ``side``."""
    return price - mid if side == "buy" else mid - price


def walk(levels: tuple[BookLevel, ...], quantity: Decimal) -> list[tuple[Decimal, Decimal]]:
    """(price, quantity) fills of a crossing order of ``quantity`` against ``levels``."""
    fills: list[tuple[Decimal, Decimal]] = []
    remaining = quantity
    for level in levels:
        if remaining <= 0:
            break
        take = min(remaining, level.quantity)
        fills.append((level.price, take))
        remaining -= take
    return fills


@exact
def estimate_cost(
    book: OrderBook,
    side: Side,
    quantity: Decimal,
    rules: MarketRules,
    style: ExecutionStyle = "marketable",
) -> CostEstimate:
    if quantity < 0:
        raise ValueError("quantity must not be negative")
    mid = book.mid
    if mid is None:
        raise ValueError("a one-sided book has no mid; cost cannot be predicted")
    if style == "passive":
        touch = book.best_bid if side == "buy" else book.best_ask
        assert touch is not None
        notional = touch * quantity
        fee = notional * rules.maker_fee
        spread = _signed(side, touch, mid) * quantity
        total = fee + spread
        return CostEstimate(
            side=side,
            requested=quantity,
            filled=quantity,
            mid=mid,
            vwap=touch,
            worst_price=touch,
            fee=fee,
            spread=spread,
            impact=ZERO,
            total=total,
            total_bps=to_bps(total, quantity * mid),
            fully_absorbed=True,
        )
    levels = book.side_taken_by(side)
    fills = walk(levels, quantity)
    filled = sum((q for _, q in fills), ZERO)
    notional = sum((p * q for p, q in fills), ZERO)
    touch = levels[0].price if levels else mid
    vwap = div(notional, filled) if filled > 0 else touch
    fee = notional * rules.taker_fee
    spread = _signed(side, touch, mid) * filled
    impact = sum((_signed(side, p, touch) * q for p, q in fills), ZERO)
    total = fee + spread + impact
    return CostEstimate(
        side=side,
        requested=quantity,
        filled=filled,
        mid=mid,
        vwap=vwap,
        worst_price=fills[-1][0] if fills else touch,
        fee=fee,
        spread=spread,
        impact=impact,
        total=total,
        total_bps=to_bps(total, filled * mid),
        fully_absorbed=filled == quantity,
    )


@exact
def max_quantity_within_budget(book: OrderBook, side: Side, budget_bps: Decimal) -> Decimal:
    """Largest quantity whose volume-weighted price stays within ``budget_bps`` of mid.

    Fees are excluded: they are proportional and cannot be avoided by trading less. The
    deviation of the VWAP from mid only grows as the walk goes deeper, so the answer is
    found in one pass, solving exactly inside the level where the budget runs out.
    """
    mid = book.mid
    if mid is None:
        return ZERO
    allowance = div_down(budget_bps * mid, Decimal(10_000))
    cost = ZERO  # sum of (price - mid) * quantity, signed for side
    taken = ZERO
    for level in book.side_taken_by(side):
        per_unit = _signed(side, level.price, mid)
        if cost + per_unit * level.quantity <= allowance * (taken + level.quantity):
            cost += per_unit * level.quantity
            taken += level.quantity
            continue
        # Solve (cost + per_unit * x) / (taken + x) <= allowance for the total taken + x,
        # in one division rounded down, so the answer never overshoots by its last digit.
        return max(div_down(taken * per_unit - cost, per_unit - allowance), taken)
    return taken


def worst_fee_rate(rules: MarketRules) -> Decimal:
    """The worse of the two fees, never a rebate: what a balance check must allow for."""
    return max(rules.taker_fee, rules.maker_fee, ZERO)
