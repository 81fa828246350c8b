"""What every activity needs: the ledger and the venue gateways, and the class each step's
activity is a method of."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rebalancer.ledger.store import LedgerStore
from rebalancer.pipeline.messages import AccountRef
from rebalancer.venue.gateway import VenueGateway
from rebalancer.venue.pool import GatewayPool


@dataclass(frozen=True)
class Deps:
    ledger: LedgerStore
    venues: GatewayPool

    async def gateway(self, account: AccountRef) -> VenueGateway:
        return await self.venues.get(account.account_id, account.venue)


class Step:
    """One pipeline step: its ``run`` method is the activity (``@activity.defn`` with the
    step's name), and it runs with the worker's dependencies."""

    run: Callable[..., Awaitable[Any]]

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
