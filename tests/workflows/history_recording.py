"""Record workflow histories for the replay tests.

Run the workflow tests with REBALANCER_RECORD_HISTORIES=1 to (re)write the JSON histories
under tests/histories/; commit them when the workflow changes on purpose. A change that would
break a running workflow then fails tests/workflows/test_replay.py until it is guarded with
workflow.patched.
"""

from __future__ import annotations

import os
from pathlib import Path

from temporalio.client import WorkflowHandle

HISTORIES = Path(__file__).resolve().parent.parent / "histories"


async def record_history(handle: WorkflowHandle[object, object], name: str) -> None:
    if os.environ.get("REBALANCER_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(history.to_json())
