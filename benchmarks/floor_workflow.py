"""The floor workflow and its no-op activities (benchmarks/floor.py runs them).

Kept apart from the worker script: Temporal's sandbox re-imports this module for every
workflow run, so it must do nothing on import.
"""

from __future__ import annotations

import time
from datetime import timedelta

from temporalio import activity, workflow

TASK_QUEUE = "rebalancer-floor"


@activity.defn(name="floor_detect")
async def floor_detect() -> float:
    return time.time()


@activity.defn(name="floor_assess")
async def floor_assess(started: float) -> float:
    return started


@activity.defn(name="floor_place")
async def floor_place(started: float) -> float:
    return (time.time() - started) * 1000


@workflow.defn(name="FloorWorkflow")
class FloorWorkflow:
    def __init__(self) -> None:
        self._pending = 0
        self._elapsed: list[float] = []
        self._done = False

    @workflow.update
    def go(self) -> int:
        self._pending += 1
        return self._pending

    @workflow.signal
    def stop(self) -> None:
        self._done = True

    @workflow.query
    def elapsed_ms(self) -> list[float]:
        return list(self._elapsed)

    @workflow.run
    async def run(self) -> None:
        timeout = timedelta(seconds=15)
        while True:
            await workflow.wait_condition(lambda: self._pending > 0 or self._done)
            if self._done and self._pending == 0:
                return
            self._pending -= 1
            started: float = await workflow.execute_local_activity(
                floor_detect, start_to_close_timeout=timeout
            )
            started = await workflow.execute_local_activity(
                floor_assess, started, start_to_close_timeout=timeout
            )
            elapsed: float = await workflow.execute_activity(
                floor_place, started, start_to_close_timeout=timeout
            )
            self._elapsed.append(elapsed)
