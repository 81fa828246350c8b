"""One gateway per account per worker process, opened on first use and reused.

Credentials are resolved by account id inside the factory: they never travel through a
workflow, an activity input or a log line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from rebalancer.venue.gateway import VenueGateway

GatewayFactory = Callable[[str, str], VenueGateway]


class GatewayPool:
    def __init__(self, factory: GatewayFactory) -> None:
        self._factory = factory
        self._gateways: dict[str, VenueGateway] = {}
        self._lock = asyncio.Lock()

    async def get(self, account_id: str, venue: str) -> VenueGateway:
        gateway = self._gateways.get(account_id)
        if gateway is not None and gateway.venue == venue:
            return gateway
        async with self._lock:
            gateway = self._gateways.get(account_id)
            if gateway is None or gateway.venue != venue:
                if gateway is not None:
                    await gateway.close()
                gateway = self._factory(account_id, venue)
                self._gateways[account_id] = gateway
            return gateway

    async def close(self) -> None:
        async with self._lock:
            gateways = list(self._gateways.values())
            self._gateways.clear()
        for gateway in gateways:
            await gateway.close()
