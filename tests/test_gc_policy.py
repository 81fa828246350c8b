"""The worker's collection policy: frozen objects skip collections until the full one."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Callable, Iterator

import pytest

from rebalancer.runtime.gc_policy import (
    freeze_survivors,
    full_collection,
    full_collection_due,
    manage_collections,
)


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_a_frozen_cycle_survives_collections_until_the_full_one() -> None:
    # A cycle alive when frozen (a cached workflow), dropped later (evicted).
    holder = [Node(), Node()]
    holder[0].other, holder[1].other = holder[1], holder[0]
    alive = weakref.ref(holder[0])
    assert freeze_survivors() > 0
    holder.clear()
    # Garbage now, but frozen: ordinary collections do not walk it.
    gc.collect()
    assert alive() is not None
    collected, _ = full_collection()
    assert alive() is None
    assert collected >= 2
    assert gc.get_freeze_count() == 0


def test_freezing_moves_survivors_out_of_reach_and_the_full_collection_brings_them_back() -> None:
    keep = Node()
    keep.other = keep
    frozen = freeze_survivors()
    assert frozen == gc.get_freeze_count() > 0
    assert not any(obj is keep for obj in gc.get_objects())
    full_collection()
    assert gc.get_freeze_count() == 0
    assert any(obj is keep for obj in gc.get_objects())


def test_a_full_collection_is_due_after_the_period_or_the_growth() -> None:
    assert full_collection_due(3600, 3600, frozen=100, baseline=100, growth=0.5)
    assert not full_collection_due(10, 3600, frozen=150, baseline=100, growth=0.5)
    assert full_collection_due(10, 3600, frozen=151, baseline=100, growth=0.5)


async def test_frozen_garbage_is_collected_once_the_frozen_generation_has_grown() -> None:
    # A worker onboarding a fleet evicts workflows it had frozen: their garbage must not wait
    # for the hourly full collection while the cache churns.
    manager = asyncio.create_task(manage_collections(0.01, 3600, growth=0.5))
    try:
        await _until(lambda: gc.get_freeze_count() > 0)
        baseline = gc.get_freeze_count()
        evicted = [Node(), Node()]
        evicted[0].other, evicted[1].other = evicted[1], evicted[0]
        gone = weakref.ref(evicted[0])
        await _until(lambda: gc.get_freeze_count() > baseline)  # frozen while alive
        evicted.clear()
        cache: list[list[int]] = [[] for _ in range(baseline)]  # the frozen generation doubles
        await _until(lambda: gone() is None)
        assert cache
    finally:
        manager.cancel()


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within 1,000 ticks")
