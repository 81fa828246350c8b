"""What every activity needs: the ledger and the venue gateways."""

from __future__ import annotations

from dataclasses import dataclass

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
