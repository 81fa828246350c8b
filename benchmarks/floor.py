"""The latency floor: the trading path's hops on the same server, with nothing inside them.

`FloorWorkflow` is woken by an update, as the account workflow is when its targets change,
and then makes the same hops as a trading check up to the order's acknowledgement: a local
activity (detect-drift), a second local activity (assess-liquidity), then a regular
activity (place-limit-order). None of them does any work; the last measures the time since
the first began, on the worker's clock, as place-limit-order does for the real path. What
the real path takes beyond this floor is our own work: venue calls, the decision, the ledger.

Run as its own worker process (like `rebalancer worker`): `python benchmarks/floor.py`, with
REBALANCER_TEMPORAL_ADDRESS and REBALANCER_TASK_QUEUE set. benchmarks/latency.py starts it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.floor_workflow import (
    TASK_QUEUE,
    FloorWorkflow,
    floor_assess,
    floor_detect,
    floor_place,
)
from rebalancer.runtime.config import load_settings
from rebalancer.runtime.sandbox import workflow_runner


async def serve() -> None:
    client = await Client.connect(os.environ.get("REBALANCER_TEMPORAL_ADDRESS", "127.0.0.1:7233"))
    worker = Worker(
        client,
        task_queue=os.environ.get("REBALANCER_TASK_QUEUE", TASK_QUEUE),
        workflows=[FloorWorkflow],
        activities=[floor_detect, floor_assess, floor_place],
        # The worker's own runner setting: a floor with the sandbox against a path without it
        # (REBALANCER_WORKFLOW_SANDBOX=false) would not be the same hops.
        workflow_runner=workflow_runner(load_settings().workflow_sandbox),
    )
    await worker.run()


if __name__ == "__main__":
    asyncio.run(serve())
