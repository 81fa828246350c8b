"""The worker's collection policy: frozen objects skip collections until the full one."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from rebalancer.runtime.gc_policy import freeze_survivors, full_collection


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
