"""The shared request budget: sized from declared limits, paused by Retry-After."""

from __future__ import annotations

import asyncio

from rebalancer.venue.limits import VenueLimits
from rebalancer.venue.rate_limit import VenueLimiter, limiter_for, parse_rate_limits


def test_declared_limits_are_read_tightest_first() -> None:
    rows = [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
    ]
    assert parse_rate_limits(rows, VenueLimits(weight=1)) == VenueLimits(6000, 60.0, 100, 10.0)
    short = [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "SECOND", "intervalNum": 2, "limit": 40}
    ]
    assert parse_rate_limits(short, VenueLimits()) == VenueLimits(40, 2.0, 100, 10.0)
    assert parse_rate_limits([], VenueLimits(7, 1.0, 3, 1.0)) == VenueLimits(7, 1.0, 3, 1.0)


async def test_a_pause_holds_every_request_and_only_grows() -> None:
    limiter = VenueLimiter(VenueLimits(weight=100, weight_window=1.0))
    limiter.pause(0.2)
    limiter.pause(0.05)
    assert limiter.pause_remaining() > 0.1, "a shorter Retry-After never shortens a pause"
    assert limiter.honoured == [0.2, 0.05]
    await asyncio.gather(limiter.acquire(5), limiter.acquire(5, order_key="acct"))
    assert limiter.pause_remaining() == 0


async def test_one_limiter_per_venue() -> None:
    a = limiter_for("binance", "http://127.0.0.1:1")
    assert limiter_for("binance", "http://127.0.0.1:1") is a
    assert limiter_for("binance", "http://127.0.0.1:2") is not a
    assert limiter_for("binance", None) is not a


async def test_drained_order_buckets_are_let_go() -> None:
    # One order bucket a period: after it, a bucket has leaked empty and is held no longer.
    limiter = VenueLimiter(VenueLimits(weight=10_000, orders=10, order_window=0.05))
    await asyncio.gather(*(limiter.acquire(1, order_key=f"acct-{i}") for i in range(500)))
    assert limiter.order_buckets == 500
    await asyncio.sleep(0.1)
    await limiter.acquire(1, order_key="another")
    assert limiter.order_buckets == 1


async def test_a_bucket_still_filling_keeps_its_orders() -> None:
    # Forgetting a bucket that has not drained would hand its account a fresh burst.
    limiter = VenueLimiter(VenueLimits(weight=10_000, orders=10, order_window=10.0))
    await limiter.acquire(1, order_key="busy")  # the burst of one order is spent
    await limiter.acquire(1, order_key="other")
    assert limiter.order_buckets == 2
    waiting = asyncio.create_task(limiter.acquire(1, order_key="busy"))
    await asyncio.sleep(0.05)
    assert not waiting.done(), "the account's next order waits for its bucket to leak"
    waiting.cancel()
