"""assess-liquidity: a fresh book for one leg -> execute, slice or queue, and the order."""

from __future__ import annotations

from activities.deps import Deps
from rebalancer.domain.placement import plan_order
from rebalancer.pipeline.messages import AssessRequest, AssessResult
from rebalancer.venue.binance_weights import book_limit


async def assess_liquidity(deps: Deps, request: AssessRequest) -> AssessResult:
    leg = request.leg
    gateway = await deps.gateway(request.account)
    book = await gateway.order_book(leg.rules.symbol, book_limit(leg.policy.depth_levels))
    assessment, order = plan_order(
        leg.asset,
        book,
        leg.side,
        leg.quantity,
        leg.rules,
        leg.policy,
        leg.style,
        leg.slice_number,
        cash=leg.cash,
    )
    return AssessResult(assessment=assessment, order=order, mid=book.mid)
