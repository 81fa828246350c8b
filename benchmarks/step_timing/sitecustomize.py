"""Step timings inside a worker process, for `benchmarks/latency.py --steps`.

Python imports this module at start-up when its folder is on PYTHONPATH; it does nothing
unless REBALANCER_STEP_TIMINGS names a folder. Then it wraps, in this process only, the
calls a trading check makes on its way to the order's acknowledgement: the SDK's handling of
a workflow activation (decode, the workflow's code, encode, and the completion call that
carries the workflow task to the server), each activity, and each gateway and ledger call.
Every call appends one line, ``start end name tag`` (epoch seconds), to ``<folder>/<pid>.txt``.

It reaches into private parts of the Temporal SDK (`_WorkflowWorker._handle_activation`,
`temporalio.bridge.worker`): a measuring tool for one pinned SDK version (pyproject.toml),
never loaded by the product.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FOLDER = os.environ.get("REBALANCER_STEP_TIMINGS")


def _install(folder: Path) -> None:
    import temporalio.bridge.worker as bridge
    from temporalio.worker import _activity, _workflow

    folder.mkdir(parents=True, exist_ok=True)
    out = (folder / f"{os.getpid()}.txt").open("a", buffering=1)

    def timed(name: str, call: Callable[..., Any], tag: Callable[..., str]) -> Callable[..., Any]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.time()
            try:
                return await call(*args, **kwargs)
            finally:
                out.write(f"{started:.6f} {time.time():.6f} {name} {tag(*args)}\n")

        return wrapper

    def method(cls: type, name: str, tag: Callable[..., str] = lambda *_: "") -> None:
        setattr(cls, name, timed(f"{cls.__name__}.{name}", getattr(cls, name), tag))

    def jobs(_worker: Any, activation: Any, *_: Any) -> str:
        return ",".join(job.WhichOneof("variant") for job in activation.jobs)

    def activity_type(_worker: Any, task: Any = None, *_: Any) -> str:
        return str(getattr(task, "activity_type", ""))

    method(_workflow._WorkflowWorker, "_handle_activation", jobs)
    method(_activity._ActivityWorker, "_execute_activity", activity_type)
    method(bridge.Worker, "complete_workflow_activation")
    for name in ("encode_completion", "decode_activation"):
        setattr(bridge, name, timed(f"bridge.{name}", getattr(bridge, name), lambda *_: ""))
    if os.environ.get("REBALANCER_STEP_TIMINGS_IO", "1") == "1":
        from rebalancer.ledger.postgres_store import PostgresStore
        from rebalancer.venue.ccxt_gateway import CcxtGateway

        for name in ("balances", "order_book", "place_limit_order", "fetch_order"):
            method(CcxtGateway, name)
        for name in ("start_cycle", "upsert_order"):
            method(PostgresStore, name)


if FOLDER:
    _install(Path(FOLDER))
