"""assess-liquidity: a fresh book for one leg -> execute, slice or queue, and the order."""

from __future__ import annotations

from activities.deps import Deps
from rebalancer.domain.placement import plan_order
from rebalancer.pipeline.messages import AssessRequest, AssessResult
from rebalancer.venue.binance_weights import book_limit


async def assess_liquidity(deps: Deps, request: AssessRequest) -> AssessResult:
    gateway = await deps.gateway(request.account)
    book = await gateway.order_book(request.rules.symbol, book_limit(request.policy.depth_levels))
    assessment, order = plan_order(
        request.asset,
        book,
        request.side,
        request.quantity,
        request.rules,
        request.policy,
        request.style,
        request.slice_number,
    )
    return AssessResult(assessment=assessment, order=order, mid=book.mid)
