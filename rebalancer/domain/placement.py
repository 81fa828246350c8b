"""From a leg (side, quantity) and a fresh book to the order to place now, or none.

The workflow's assess-liquidity step and the policy's planning both come here, so the
liquidity rule and the pricing rule exist once.
"""

from __future__ import annotations

from decimal import Decimal

from rebalancer.domain.costs import estimate_cost, worst_fee_rate
from rebalancer.domain.liquidity import LiquidityAssessment, assess_liquidity, minimum_notional
from rebalancer.domain.market import MarketRules, OrderBook, Side
from rebalancer.domain.numbers import ONE, ZERO, div_down, exact, floor_to_step, plain
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
    cash: Decimal | None = None,
) -> tuple[LiquidityAssessment, PlannedOrder | None]:
    """The order for ``quantity`` now. A buy is never more than ``cash`` (free quote) pays
    for at the price actually sent, fees included: a re-priced buy crosses higher than the
    plan did, and the venue would refuse it."""
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
    if cash is None:
        return assessment, order
    affordable = afford(order, cash, rules, policy, book)
    if affordable is None:
        short = f"not enough free {rules.quote} ({plain(cash)}) for the minimum order at the limit"
        return assessment.model_copy(update={"verdict": "queue", "reason": short}), None
    return assessment, affordable


@exact
def afford(
    order: PlannedOrder,
    cash: Decimal,
    rules: MarketRules,
    policy: PolicySettings,
    book: OrderBook,
) -> PlannedOrder | None:
    """``order`` shrunk to what ``cash`` pays for at its own limit price, fees included;
    None when that is below the minimum order. Sells pass unchanged."""
    fee = ONE + worst_fee_rate(rules)
    if order.side != "buy" or order.notional * fee <= cash:
        return order
    amount = floor_to_step(div_down(max(cash, ZERO), order.price * fee), rules.step_size)
    if amount * order.price < minimum_notional(rules, policy) or amount < rules.min_qty:
        return None
    return order.model_copy(
        update={
            "amount": amount,
            "predicted_cost": estimate_cost(book, "buy", amount, rules, order.style),
        }
    )
