"""ScheduledReview: what a Temporal Schedule starts for a calendar review.

It only signals the account workflow to run a check now; the account workflow stays the one
place that trades, so a schedule firing twice cannot place anything twice.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from rebalancer.pipeline.messages import ForceRequest
    from rebalancer.pipeline.names import workflow_id

from workflows.account import AccountWorkflow


@workflow.defn(name="ScheduledReview")
class ScheduledReviewWorkflow:
    @workflow.run
    async def run(self, account_id: str) -> None:
        handle = workflow.get_external_workflow_handle_for(
            AccountWorkflow.run, workflow_id(account_id)
        )
        await handle.signal(
            AccountWorkflow.force, ForceRequest(reason="calendar review", trigger="schedule")
        )
