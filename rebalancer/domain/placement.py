"""From a leg (side, quantity) and a fresh book to the order to place now, or none.

The workflow's assess-liquidity step and the policy's planning both come here, so the
liquidity rule and the pricing rule exist once.
"""

from __future__ import annotations

from decimal import Decimal

from rebalancer.domain.liquidity import LiquidityAssessment, assess_liquidity
from rebalancer.domain.market import MarketRules, OrderBook, Side
from rebalancer.domain.numbers import exact
from rebalancer.domain.orders import PlannedOrder, limit_price
from rebalancer.domain.policy_settings import ExecutionStyle, PolicySettings


@exact
def plan_order(
    asset: str,
    book: OrderBook | None,
    side: Side,
    quantity: Decimal,
    rules: MarketRules,
    policy: PolicySettings,
    style: ExecutionStyle | None = None,
    slice_number: int = 0,
) -> tuple[LiquidityAssessment, PlannedOrder | None]:
    assessment = assess_liquidity(book, side, quantity, rules, policy)
    if assessment.verdict in ("queue", "skip") or book is None:
        return assessment, None
    chosen = style or policy.execution_style
    price = limit_price(book, side, rules, chosen, assessment.cost, policy.slippage_budget_bps)
    order = PlannedOrder(
        asset=asset,
        symbol=rules.symbol,
        side=side,
        amount=assessment.quantity,
        price=price,
        style=chosen,
        slice=slice_number,
        predicted_cost=assessment.cost,
    )
    return assessment, order
