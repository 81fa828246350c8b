"""Starting account workflows: one way for the CLI, the demo and the benchmarks."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from rebalancer.pipeline import search_attributes as sa
from rebalancer.pipeline.messages import AccountConfig
from rebalancer.pipeline.names import workflow_id
from rebalancer.pipeline.state import AccountWorkflowInput
from workflows.account import AccountWorkflow


async def start_account(
    client: Client, config: AccountConfig, task_queue: str
) -> WorkflowHandle[AccountWorkflow, None]:
    """Start ``account-<id>``; fails if it already runs (WorkflowAlreadyStartedError)."""
    return await client.start_workflow(
        AccountWorkflow.run,
        AccountWorkflowInput(config=config),
        id=workflow_id(config.account_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        search_attributes=TypedSearchAttributes(
            [SearchAttributePair(sa.ACCOUNT, config.account_id)]
        ),
        static_summary=f"rebalance {config.account_id} on {config.venue}",
    )
