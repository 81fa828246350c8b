"""cancel-order: cancel what is left of an order, and return its final state.

An order that filled or vanished meanwhile is not an error: the venue's own record of it is
the answer.
"""

from __future__ import annotations

from temporalio import activity

from activities.deps import Step
from activities.ledger_orders import order_record
from rebalancer.pipeline.messages import CancelRequest
from rebalancer.runtime import telemetry
from rebalancer.venue.errors import OrderNotFound
from rebalancer.venue.models import VenueOrder


class CancelOrder(Step):
    @activity.defn(name="cancel_order")
    async def run(self, request: CancelRequest) -> VenueOrder:
        gateway = await self.deps.gateway(request.account)
        try:
            order = await gateway.cancel_order(request.symbol, request.client_order_id)
        except OrderNotFound:
            found = await gateway.fetch_order(request.symbol, request.client_order_id)
            if found is None:
                raise
            order = found
        if not order.is_final:
            # Some venues answer a cancel before it takes effect; ask again for the final state.
            found = await gateway.fetch_order(request.symbol, request.client_order_id)
            order = found if found is not None else order
        if order.is_final:
            telemetry.order_outcome(request.account.venue, order.symbol, order.amount, order.filled)
        await self.deps.ledger.upsert_order(order_record(request.account, request.cycle, order))
        return order
