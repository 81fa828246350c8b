"""Record workflow histories for the replay tests.

Run the workflow tests with REBALANCER_RECORD_HISTORIES=1 to (re)write the JSON histories
under tests/histories/; commit them when the workflow changes on purpose. Before 1.0 there
are no deployed histories: a workflow change re-records them. From 1.0 on, a change that
fails tests/workflows/test_replay.py on a committed history is guarded with
``workflow.patched`` instead (docs/architecture.md, "Versioning").
"""

from __future__ import annotations

import os
from pathlib import Path

from temporalio.client import WorkflowHandle

HISTORIES = Path(__file__).resolve().parent.parent / "histories"
# What the workflow tests record: replay must find every one of them committed.
RECORDED = frozenset(
    {
        "pause-resume-force",
        "rejected-targets",
        "new-targets",
        "policy-update",
        "queued-leg",
        "sliced-leg",
        "refused-leg",
        "watch-wake",
        "watch-paused",
        "unwatched",
    }
)


async def record_history(handle: WorkflowHandle[object, object], name: str) -> None:
    if os.environ.get("REBALANCER_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(history.to_json())
