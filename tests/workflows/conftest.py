from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from rebalancer.control.search_attributes import ensure_registered

TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"


# One server per module: time skipping stalls while any workflow task is outstanding, so a
# module's leftovers (a workflow cut off mid-task when its worker stopped) must not slow the
# next module's timers.
@pytest.fixture(scope="module")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(TEST_SERVER),
    )
    await ensure_registered(env.client, "default")
    yield env
    await env.shutdown()
