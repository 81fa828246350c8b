"""The workflow sandbox, with our pure modules passed through.

Workflow code runs in Temporal's sandbox, which re-imports modules per workflow run unless
they are passed through. The domain and its pydantic models are deterministic and side-effect
free, so re-importing them buys no safety and costs CPU on every workflow task.
"""

from __future__ import annotations

from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSTHROUGH = ("rebalancer", "pydantic", "pydantic_core", "annotated_types", "typing_inspection")


def workflow_runner(sandboxed: bool = True) -> WorkflowRunner:
    """The sandbox by default. Without it, each cached workflow costs a fraction of the
    memory (no per-run copy of the workflow modules), for fleets where that matters; the
    replay and purity tests keep the workflow code deterministic either way."""
    if not sandboxed:
        return UnsandboxedWorkflowRunner()
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )
