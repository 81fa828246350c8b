"""Can the book absorb a trade now? Execute it whole, slice it, or queue it for later.

The seed's rule is the default: one order may take at most ``max_depth_fraction`` (1%) of the
top ``depth_levels`` (10) levels on the side it consumes. On top of that, the volume-weighted
price must stay within the slippage budget. What passes both is what the book absorbs.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Literal

from rebalancer.domain.costs import CostEstimate, estimate_cost, max_quantity_within_budget
from rebalancer.domain.market import Frozen, MarketRules, OrderBook, Side
from rebalancer.domain.numbers import ZERO, Dec, exact, floor_to_step, round_to_tick
from rebalancer.domain.policy_settings import PolicySettings

Verdict = Literal["execute", "slice", "queue", "skip"]


class LiquidityAssessment(Frozen):
    verdict: Verdict
    reason: str
    # Quantity to place now, on the step grid; 0 when queued.
    quantity: Dec
    depth: Dec
    absorbable: Dec
    cost: CostEstimate | None = None


def minimum_notional(rules: MarketRules, policy: PolicySettings) -> Decimal:
    return max(rules.min_notional, policy.min_trade_notional)


def lowest_limit_price(book: OrderBook, cost: CostEstimate, rules: MarketRules) -> Decimal:
    """A floor under any limit price ``limit_price`` can give this order, in either style.

    The venue checks min notional at the limit price, not at mid: a passive buy rests at
    the bid and a marketable sell reaches down the bids, both below mid. The floor is the
    lower of the best bid and the walk's last price, rounded down to the tick.
    """
    best_bid = book.best_bid
    low = cost.worst_price if best_bid is None else min(best_bid, cost.worst_price)
    return round_to_tick(low, rules.tick_size, side="buy")


@exact
def absorbable_quantity(book: OrderBook, side: Side, policy: PolicySettings) -> Decimal:
    depth = book.depth(side, policy.depth_levels)
    by_depth = depth * policy.max_depth_fraction
    by_budget = max_quantity_within_budget(book, side, policy.slippage_budget_bps)
    return min(by_depth, by_budget)


@exact
def assess_liquidity(
    book: OrderBook | None,
    side: Side,
    quantity: Decimal,
    rules: MarketRules,
    policy: PolicySettings,
) -> LiquidityAssessment:
    """Verdict for placing ``quantity`` (already on the step grid) now."""
    if book is None or book.mid is None:
        return LiquidityAssessment(
            verdict="queue",
            reason="no two-sided order book",
            quantity=ZERO,
            depth=ZERO,
            absorbable=ZERO,
        )
    depth = book.depth(side, policy.depth_levels)
    absorbable = floor_to_step(absorbable_quantity(book, side, policy), rules.step_size)
    now = min(quantity, absorbable)
    cost = estimate_cost(book, side, now, rules, "marketable") if now > 0 else None
    if (
        cost is None
        or now * lowest_limit_price(book, cost, rules) < minimum_notional(rules, policy)
        or now < rules.min_qty
    ):
        return LiquidityAssessment(
            verdict="queue",
            reason=(
                f"book absorbs {absorbable} of {quantity} within "
                f"{policy.max_depth_fraction} of top-{policy.depth_levels} depth and "
                f"{policy.slippage_budget_bps} bps; below the minimum order"
            ),
            quantity=ZERO,
            depth=depth,
            absorbable=absorbable,
        )

    # What remains differs only in the verdict, its reason and what is placed now.
    measured = partial(LiquidityAssessment, depth=depth, absorbable=absorbable, cost=cost)
    if now == quantity:
        return measured(verdict="execute", reason="book absorbs the whole leg", quantity=now)
    if policy.allow_slicing:
        return measured(
            verdict="slice",
            reason=f"book absorbs {absorbable} of {quantity}; placing that slice now",
            quantity=now,
        )
    return measured(
        verdict="queue",
        reason=f"book absorbs only {absorbable} of {quantity}; slicing is off",
        quantity=ZERO,
    )
