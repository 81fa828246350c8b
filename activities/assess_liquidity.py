"""assess-liquidity: a fresh book for one leg -> execute, slice or queue, and the order."""

from __future__ import annotations

from temporalio import activity

from activities.deps import Step
from rebalancer.cycle.port import plan_leg
from rebalancer.pipeline.messages import AssessRequest, AssessResult
from rebalancer.venue.binance_weights import book_limit


class AssessLiquidity(Step):
    @activity.defn(name="assess_liquidity")
    async def run(self, request: AssessRequest) -> AssessResult:
        leg = request.leg
        gateway = await self.deps.gateway(request.account)
        book = await gateway.order_book(leg.rules.symbol, book_limit(leg.policy.depth_levels))
        assessment, order = plan_leg(leg, book)
        return AssessResult(assessment=assessment, order=order, mid=book.mid)
