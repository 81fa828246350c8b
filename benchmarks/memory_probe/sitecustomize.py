"""A memory probe for the worker of a benchmark run, loaded through ``PYTHONPATH``.

    PYTHONPATH=benchmarks/memory_probe MEMORY_PROBE_OUT=/tmp/probe \\
        python benchmarks/fleet.py --accounts 5000 --minutes 3 --funded-on-own-targets --json

Every benchmark process imports this file at start (``site`` does); only a worker
(``python -m rebalancer worker``) starts the probe. Once a minute it appends a JSON line to
``MEMORY_PROBE_OUT.<pid>``: RSS and the frozen generation's size. When the file
``MEMORY_PROBE_OUT.collect`` exists it also unfreezes and collects everything, trims the
allocator, and counts the live objects by type: what the heap holds that is not garbage,
and how much RSS collecting gives back. That is how docs/performance.md found where a large
fleet's worker memory went.
"""

from __future__ import annotations

import collections
import ctypes
import gc
import json
import os
import sys
import threading
import time
from typing import Any


def _rss_mib() -> int:
    # Imported here: every process of a benchmark loads this file, only a worker probes.
    import psutil

    return int(psutil.Process().memory_info().rss // 2**20)


def _collect_and_count() -> dict[str, Any]:
    before, frozen = _rss_mib(), gc.get_freeze_count()
    started = time.perf_counter()
    gc.unfreeze()
    collected = gc.collect()
    seconds = time.perf_counter() - started
    after_gc = _rss_mib()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    objects = gc.get_objects()
    types = collections.Counter(
        f"{getattr(type(o), '__module__', '?')}.{getattr(type(o), '__qualname__', '?')}"
        for o in objects
    )
    return {
        "rss_mib": before,
        "frozen": frozen,
        "collected": collected,
        "collect_seconds": round(seconds, 3),
        "rss_after_collect_mib": after_gc,
        "rss_after_trim_mib": _rss_mib(),
        "live_objects": len(objects),
        "types": dict(types.most_common(60)),
    }


def _probe(out: str, every: float) -> None:
    trigger = f"{out}.collect"
    while True:
        time.sleep(every)
        row: dict[str, Any] = {"at": time.strftime("%H:%M:%S")}
        if os.path.exists(trigger):
            os.remove(trigger)
            row |= _collect_and_count()
        else:
            row |= {"rss_mib": _rss_mib(), "frozen": gc.get_freeze_count()}
        with open(f"{out}.{os.getpid()}", "a") as lines:
            lines.write(json.dumps(row) + "\n")


if sys.argv[-1:] == ["worker"] and os.environ.get("MEMORY_PROBE_OUT"):
    threading.Thread(
        target=_probe,
        args=(os.environ["MEMORY_PROBE_OUT"], float(os.environ.get("MEMORY_PROBE_EVERY", "60"))),
        daemon=True,
    ).start()
