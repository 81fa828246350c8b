"""The worker's collection policy: frozen objects skip collections until the full one."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from rebalancer.gc_policy import freeze_survivors, full_collection


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
    collected, seconds = full_collection()
    assert alive() is None
    assert collected >= 2
    assert seconds >= 0
    assert gc.get_freeze_count() == 0


def test_a_live_object_is_untouched_by_either() -> None:
    keep = Node()
    keep.other = keep
    freeze_survivors()
    full_collection()
    assert keep.other is keep
