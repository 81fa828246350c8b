"""One request budget per venue, shared by every gateway in the process.

Binance counts request weight per IP and orders per account, so all gateways to one venue
(exchange id + base URL) draw from one weight bucket, and each account also from its own
order bucket. Buckets are aiolimiter leaky buckets sized from the venue's declared limits
so that no fixed window of the venue's can overflow: a burst of a tenth of the limit, then
the rest spread over the window.

A ``Retry-After`` from the venue (429, 418, 503) pauses the whole venue: every gateway waits
it out before its next request, which is what the venue asked for.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiolimiter import AsyncLimiter

from rebalancer.venue.limits import VenueLimits

BURST_FRACTION = 0.1


_INTERVAL_SECONDS = {"SECOND": 1.0, "MINUTE": 60.0, "HOUR": 3600.0, "DAY": 86_400.0}


def parse_rate_limits(rows: Sequence[Mapping[str, Any]], default: VenueLimits) -> VenueLimits:
    """Binance's exchangeInfo ``rateLimits`` as ``VenueLimits`` (the tightest per kind)."""
    weight: tuple[int, float] | None = None
    orders: tuple[int, float] | None = None
    for row in rows:
        seconds = _INTERVAL_SECONDS.get(str(row.get("interval")), 0.0) * float(
            row.get("intervalNum", 1)
        )
        limit = int(row.get("limit", 0))
        if seconds <= 0 or limit <= 0:
            continue
        kind = row.get("rateLimitType")
        # Compare by rate: a per-day order cap matters less than a per-10-seconds one.
        if kind == "REQUEST_WEIGHT" and (weight is None or limit / seconds < weight[0] / weight[1]):
            weight = (limit, seconds)
        if (
            kind == "ORDERS"
            and seconds <= 60
            and (orders is None or limit / seconds < orders[0] / orders[1])
        ):
            orders = (limit, seconds)
    return VenueLimits(
        weight=weight[0] if weight else default.weight,
        weight_window=weight[1] if weight else default.weight_window,
        orders=orders[0] if orders else default.orders,
        order_window=orders[1] if orders else default.order_window,
    )


def _bucket(limit: int, window: float, burst_at_once: int | None = None) -> AsyncLimiter:
    burst = float(burst_at_once) if burst_at_once else max(1.0, limit * BURST_FRACTION)
    rate = (limit - burst) / window if limit > burst else limit / window
    return AsyncLimiter(burst, burst / rate)


@dataclass
class _OrderBucket:
    limiter: AsyncLimiter
    waiting: int = 0
    used_at: float = 0.0


class VenueLimiter:
    def __init__(self, limits: VenueLimits | None = None) -> None:
        self.limits = limits or VenueLimits()
        self._weight = _bucket(self.limits.weight, self.limits.weight_window, self.limits.burst)
        # Least recently used first, so the drained ones are found at the front.
        self._orders: OrderedDict[str, _OrderBucket] = OrderedDict()
        self._paused_until = 0.0
        # Every Retry-After honoured, in seconds, newest last (a short history for tests
        # and metrics).
        self.honoured: list[float] = []

    def resize(self, limits: VenueLimits) -> None:
        if limits == self.limits:
            return
        self.limits = limits
        self._weight = _bucket(limits.weight, limits.weight_window, limits.burst)
        self._orders.clear()

    def pause(self, seconds: float) -> None:
        """The venue said: nothing for ``seconds``. Extends, never shortens, a pause."""
        if seconds <= 0:
            return
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self.honoured = [*self.honoured[-99:], seconds]

    def pause_remaining(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())

    async def acquire(self, weight: int, *, order_key: str | None = None) -> None:
        # A pause can be extended while we sleep, so look again after each one.
        while (remaining := self.pause_remaining()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(remaining)
        # A request heavier than the bucket's burst (a market load) takes it in bursts:
        # the full weight is spent, never capped at the burst.
        remaining = float(weight)
        while remaining > 0:
            chunk = min(remaining, self._weight.max_rate)
            await self._weight.acquire(chunk)
            remaining -= chunk
        if order_key is not None:
            await self._acquire_order(order_key)

    @property
    def order_buckets(self) -> int:
        """How many accounts' order buckets are held (the drained ones are let go)."""
        return len(self._orders)

    async def _acquire_order(self, key: str) -> None:
        loop = asyncio.get_running_loop()
        self._forget_drained(loop.time())
        bucket = self._orders.get(key)
        if bucket is None:
            bucket = self._orders[key] = _OrderBucket(
                _bucket(self.limits.orders, self.limits.order_window)
            )
        self._orders.move_to_end(key)
        bucket.waiting += 1
        try:
            await bucket.limiter.acquire(1)
        finally:
            bucket.waiting -= 1
            bucket.used_at = loop.time()

    def _forget_drained(self, now: float) -> None:
        # A leaky bucket is empty one period after its last order, and an empty bucket is a
        # new one: a worker that has placed orders for every account of a large fleet would
        # otherwise hold a bucket for each of them for as long as it runs.
        while self._orders:
            bucket = next(iter(self._orders.values()))
            if bucket.waiting or now - bucket.used_at < bucket.limiter.time_period:
                return
            self._orders.popitem(last=False)


_LIMITERS: dict[tuple[int, str, str], VenueLimiter] = {}


def limiter_for(
    exchange_id: str, base_url: str | None, limits: VenueLimits | None = None
) -> VenueLimiter:
    """The process's limiter for a venue, per event loop (aiolimiter binds to one loop),
    sized at first use from ``limits`` (the venue profile's documented ones)."""
    key = (id(asyncio.get_running_loop()), exchange_id, base_url or "")
    limiter = _LIMITERS.get(key)
    if limiter is None:
        limiter = _LIMITERS[key] = VenueLimiter(limits)
    return limiter
