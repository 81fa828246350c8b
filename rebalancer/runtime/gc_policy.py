"""Garbage collection for a worker that caches thousands of workflows.

A cached account workflow is a few hundred kilobytes of long-lived objects. CPython's full
collection walks every tracked object, so with 5,000 cached workflows each full collection
stopped the worker for 1.5-1.8 s, every 35-40 s, and every workflow task in flight waited
(docs/performance.md). The long-lived objects do not need walking: a cached workflow stays
referenced until the cache evicts it.

So the worker moves what survives a young collection into the permanent generation
(``gc.freeze``) at a steady period, and full collections then walk only what was allocated
since. Cyclic garbage that was frozen (a workflow evicted from the cache, say) would never be
found, so everything is unfrozen and collected once an hour, and sooner when the frozen
generation has grown by half since the last full collection. Without that second rule a
worker onboarding a fleet froze every workflow it evicted: 20,000 accounts in an hour grew it
to 5.0 GiB, and collecting the garbage then gave little back to the system, because freed
objects lie scattered among live ones. Growth by half is CPython's own rule (a quarter) made
coarser: the pauses stay rare while the cache fills, and garbage stays below half the heap.
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


def full_collection_due(
    elapsed: float, full_seconds: float, frozen: int, baseline: int, growth: float
) -> bool:
    """Whether to unfreeze and collect everything: the full period has passed, or the frozen
    generation holds more than ``1 + growth`` times what it held after the last one."""
    return elapsed >= full_seconds or frozen > baseline * (1 + growth)


async def manage_collections(
    freeze_seconds: float, full_seconds: float, growth: float = 0.5
) -> None:
    """Freeze survivors every ``freeze_seconds``; unfreeze and collect every ``full_seconds``,
    or as soon as the frozen generation has grown by ``growth`` since the last time."""
    last_full = time.monotonic()
    baseline = freeze_survivors()
    while True:
        await asyncio.sleep(freeze_seconds)
        elapsed = time.monotonic() - last_full
        full = full_collection_due(elapsed, full_seconds, gc.get_freeze_count(), baseline, growth)
        if full:
            collected, seconds = full_collection()
            last_full = time.monotonic()
            log.info("full collection", collected=collected, seconds=round(seconds, 3))
        frozen = freeze_survivors()
        if full:
            baseline = frozen


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
