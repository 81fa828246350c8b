"""Starting account workflows, and their venue's fleet watcher: one way for the CLI, the
demo and the benchmarks."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from rebalancer.pipeline import search_attributes as sa
from rebalancer.pipeline.messages import AccountConfig, WatchVenueRequest
from rebalancer.pipeline.names import watcher_id, workflow_id
from rebalancer.pipeline.state import AccountWorkflowInput
from workflows.account import AccountWorkflow
from workflows.venue_watch import VenueWatchWorkflow


async def start_account(
    client: Client, config: AccountConfig, task_queue: str
) -> WorkflowHandle[AccountWorkflow, None]:
    """Start ``account-<id>``; fails if it already runs (WorkflowAlreadyStartedError). A
    watched account's venue gets its watcher first, if it has none running."""
    if config.watched:
        await ensure_watcher(client, WatchVenueRequest(venue=config.venue), task_queue)
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


async def ensure_watcher(
    client: Client, request: WatchVenueRequest, task_queue: str
) -> WorkflowHandle[VenueWatchWorkflow, None]:
    """Start ``watch-<venue>`` unless it runs already (then the running one is kept)."""
    return await client.start_workflow(
        VenueWatchWorkflow.run,
        request,
        id=watcher_id(request.venue),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"fleet watcher of {request.venue}",
    )
