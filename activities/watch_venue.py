"""watch-venue: one venue's fleet watcher (``rebalancer.watch``) for one run, heartbeating.

Long-running on purpose: if the worker dies, the heartbeat stops and Temporal starts the
run again on a worker that is alive, which reads the ledger afresh. The watcher reads prices
through any one account's gateway (public data: every account sees the same), balances
through each account's own, and wakes accounts by signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.deps import Deps, Step
from rebalancer.domain.market import Quote
from rebalancer.ledger.records import WatchedAccount
from rebalancer.pipeline.messages import (
    AccountRef,
    WakeRequest,
    WatchVenueReport,
    WatchVenueRequest,
)
from rebalancer.pipeline.names import workflow_id
from rebalancer.watch.watcher import VenueWatcher


class _Sources:
    def __init__(self, deps: Deps, venue: str, client: Client) -> None:
        self.deps = deps
        self.venue = venue
        self.client = client

    async def watched(self, changed_after: datetime | None) -> list[WatchedAccount]:
        return await self.deps.ledger.watched_accounts(self.venue, changed_after)

    async def quotes(self, account_id: str, symbols: Sequence[str]) -> dict[str, Quote]:
        gateway = await self.deps.gateway(AccountRef(account_id=account_id, venue=self.venue))
        return await gateway.quotes(symbols)

    async def balances(self, account_id: str) -> dict[str, Decimal]:
        gateway = await self.deps.gateway(AccountRef(account_id=account_id, venue=self.venue))
        return {a: b.free + b.locked for a, b in (await gateway.balances()).items()}

    async def wake(self, account_id: str, request: WakeRequest) -> bool:
        handle = self.client.get_workflow_handle(workflow_id(account_id))
        try:
            await handle.signal("wake", request)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True


class WatchVenue(Step):
    @activity.defn(name="watch_venue")
    async def run(self, request: WatchVenueRequest) -> WatchVenueReport:
        watcher = VenueWatcher(_Sources(self.deps, request.venue, activity.client()), request)
        await watcher.run(request.run_seconds, _heartbeat)
        return watcher.progress


def _heartbeat(progress: WatchVenueReport) -> None:
    activity.heartbeat(progress.model_dump(mode="json"))
