"""Gateways per account in one worker: opened on first use, reused, and bounded.

Credentials are resolved by account id inside the factory: they never travel through a
workflow, an activity input or a log line. Each gateway holds a ccxt client (about 0.25 MB),
so a worker serving a large fleet keeps only the most recently used ones open and reopens the
others on demand (a few milliseconds); the public data they share lives per venue, not per
gateway.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable

from rebalancer.venue.gateway import VenueGateway

GatewayFactory = Callable[[str, str], VenueGateway]


class GatewayPool:
    def __init__(self, factory: GatewayFactory, max_open: int = 2000) -> None:
        if max_open < 1:
            raise ValueError("max_open must be at least 1")
        self._factory = factory
        self._max_open = max_open
        self._gateways: OrderedDict[str, VenueGateway] = OrderedDict()
        self._lock = asyncio.Lock()
        # Evicted gateways waiting out their grace period, by the task that closes them.
        self._closing: dict[asyncio.Task[None], VenueGateway] = {}

    async def get(self, account_id: str, venue: str) -> VenueGateway:
        gateway = self._gateways.get(account_id)
        if gateway is not None and gateway.venue == venue:
            self._gateways.move_to_end(account_id)
            return gateway
        async with self._lock:
            gateway = self._gateways.get(account_id)
            if gateway is None or gateway.venue != venue:
                if gateway is not None:
                    await gateway.close()
                gateway = self._factory(account_id, venue)
                self._gateways[account_id] = gateway
            self._gateways.move_to_end(account_id)
            evicted = []
            while len(self._gateways) > self._max_open:
                _, oldest = self._gateways.popitem(last=False)
                evicted.append(oldest)
        for oldest in evicted:
            task = asyncio.create_task(_close_later(oldest))
            self._closing[task] = oldest
            task.add_done_callback(self._closing.pop)
        return gateway

    @property
    def open(self) -> int:
        return len(self._gateways)

    async def close(self) -> None:
        async with self._lock:
            gateways = list(self._gateways.values())
            self._gateways.clear()
        for task, evicted in list(self._closing.items()):
            task.cancel()
            gateways.append(evicted)
        for gateway in gateways:
            await gateway.close()


async def _close_later(gateway: VenueGateway, grace: float = 30.0) -> None:
    """An evicted gateway may still be finishing a call for an activity: close it after."""
    await asyncio.sleep(grace)
    await gateway.close()
