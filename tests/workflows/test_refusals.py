"""A final refusal holds its leg with the venue's reason; the cycle and the other legs go on.

Before, the workflow matched error names against a hand list that lacked
DuplicateClientOrderId and FinalVenueError: such a refusal failed the whole cycle.
"""

from __future__ import annotations

from decimal import Decimal

from temporalio.testing import WorkflowEnvironment

from rebalancer.pipeline.messages import AccountConfig
from rebalancer.venue.errors import DuplicateClientOrderId
from rebalancer.venue.models import LimitOrder, VenueOrder
from tests.workflows.history_recording import record_history
from tests.workflows.memory_venue import MemoryVenue
from tests.workflows.scenario import harness, marketable_policy, memory_venue
from tests.workflows.test_timers import eventually


class RefusingVenue(MemoryVenue):
    """Refuses every ETH order as a duplicate id, as a venue that kept an old one open."""

    async def place_limit_order(self, order: LimitOrder) -> VenueOrder:
        if order.symbol == "ETH/USDT":
            raise DuplicateClientOrderId(f"{order.client_order_id} is already open")
        return await super().place_limit_order(order)


async def test_a_refused_leg_is_held_with_its_reason_and_the_cycle_completes(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    venue = memory_venue(kind=RefusingVenue, USDT="100000", BTC="0", ETH="0")
    config = AccountConfig(
        account_id="refusals-1",
        venue="paper",
        targets={"BTC": Decimal("0.4"), "ETH": Decimal("0.3"), "USDT": Decimal("0.3")},
        policy=marketable_policy(),
    )
    async with harness(time_skipping_env.client, venue) as h:
        handle = await h.start(config)
        status = await eventually(lambda: h.status(handle), lambda s: s.last_cycle is not None)
        assert status.last_cycle is not None
        assert status.last_cycle.status == "completed", status.last_cycle.note
        held = {leg.asset: leg for leg in status.queued}
        assert held["ETH"].reason.startswith("refused by the venue: DuplicateClientOrderId")
        assert venue.free["BTC"] > 0, "the BTC leg went on"
        await record_history(handle, "refused-leg")
        await handle.terminate()
