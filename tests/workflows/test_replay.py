"""Replay committed histories against today's workflow code: determinism on every change."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from rebalancer.runtime.sandbox import workflow_runner
from tests.workflows.history_recording import HISTORIES, RECORDED
from workflows import WORKFLOWS

HISTORY_FILES = sorted(HISTORIES.glob("*.json"))
HISTORY_TEXT = {path.stem: path.read_text() for path in HISTORY_FILES}


def test_every_recorded_history_is_committed() -> None:
    committed = {path.stem for path in HISTORY_FILES}
    assert committed == RECORDED, (
        "record them: REBALANCER_RECORD_HISTORIES=1 pytest tests/workflows"
    )


@pytest.mark.parametrize("path", HISTORY_FILES, ids=[p.stem for p in HISTORY_FILES])
async def test_replay(path: Path) -> None:
    history = WorkflowHistory.from_json(f"account-{path.stem}", HISTORY_TEXT[path.stem])
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
