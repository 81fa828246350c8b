"""Garbage collection for a worker that caches thousands of workflows.

A cached account workflow is a few hundred kilobytes of long-lived objects. CPython's full
collection walks every tracked object, so with 5,000 cached workflows each full collection
stopped the worker for 1.5-1.8 s, every 35-40 s, and every workflow task in flight waited
(docs/performance.md). The long-lived objects do not need walking: a cached workflow stays
referenced until the cache evicts it.

So the worker moves what survives a young collection into the permanent generation
(``gc.freeze``) at a steady period, and full collections then walk only what was allocated
since. Cyclic garbage that was frozen (a workflow evicted from the cache, say) would never be
found, so at a longer period everything is unfrozen and collected once: one long pause an
hour instead of one a minute.
"""

from __future__ import annotations

import asyncio
import gc
import time

import structlog

log = structlog.get_logger("rebalancer.gc")


def freeze_survivors() -> int:
    """Collect the young generations, then freeze what is left: the number of objects frozen."""
    gc.collect(1)
    gc.freeze()
    return gc.get_freeze_count()


def full_collection() -> tuple[int, float]:
    """Unfreeze and collect everything: (objects collected, seconds)."""
    started = time.perf_counter()
    gc.unfreeze()
    collected = gc.collect()
    return collected, time.perf_counter() - started


async def manage_collections(freeze_seconds: float, full_seconds: float) -> None:
    """Freeze survivors every ``freeze_seconds``; unfreeze and collect every ``full_seconds``."""
    last_full = time.monotonic()
    while True:
        await asyncio.sleep(freeze_seconds)
        if time.monotonic() - last_full >= full_seconds:
            collected, seconds = full_collection()
            last_full = time.monotonic()
            log.info("full collection", collected=collected, seconds=round(seconds, 3))
        freeze_survivors()


def watch_gc_pauses(threshold_seconds: float = 0.1) -> None:
    """Log garbage-collection pauses long enough to delay workflow tasks."""
    started: list[float] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            pause = time.perf_counter() - started[0]
            if pause >= threshold_seconds:
                log.warning("long gc pause", seconds=round(pause, 3), **info)

    gc.callbacks.append(callback)
