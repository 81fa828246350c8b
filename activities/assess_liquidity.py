"""assess-liquidity: a fresh book for one leg -> execute, slice or queue, and the order."""

from __future__ import annotations

from activities.deps import Deps
from rebalancer.cycle.port import plan_leg
from rebalancer.pipeline.messages import AssessRequest, AssessResult
from rebalancer.venue.binance_weights import book_limit


async def assess_liquidity(deps: Deps, request: AssessRequest) -> AssessResult:
    leg = request.leg
    gateway = await deps.gateway(request.account)
    book = await gateway.order_book(leg.rules.symbol, book_limit(leg.policy.depth_levels))
    assessment, order = plan_leg(leg, book)
    return AssessResult(assessment=assessment, order=order, mid=book.mid)
