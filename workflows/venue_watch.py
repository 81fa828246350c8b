"""VenueWatchWorkflow: one per venue (id ``watch-<venue>``), hosting its fleet watcher.

The watcher is one long activity that heartbeats (``activities/watch_venue.py``); when a
worker dies, its heartbeat stops and Temporal runs it again elsewhere, without limit. Runs
last an hour each, and the workflow continues as new every day, so its history stays short.
This module does no I/O.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from workflows.retry_policies import WATCH_RETRY

with workflow.unsafe.imports_passed_through():
    from activities.watch_venue import WatchVenue
    from rebalancer.pipeline.messages import WatchVenueRequest

RUNS_PER_HISTORY = 24
HEARTBEAT_TIMEOUT = timedelta(seconds=30)


@workflow.defn(name="VenueWatchWorkflow")
class VenueWatchWorkflow:
    @workflow.run
    async def run(self, request: WatchVenueRequest) -> None:
        for _ in range(RUNS_PER_HISTORY):
            report = await workflow.execute_activity_method(
                WatchVenue.run,
                request,
                start_to_close_timeout=timedelta(seconds=request.run_seconds) + HEARTBEAT_TIMEOUT,
                heartbeat_timeout=HEARTBEAT_TIMEOUT,
                retry_policy=WATCH_RETRY,
                summary=f"watch {request.venue}",
            )
            workflow.set_current_details(
                f"**{request.venue}**: {report.accounts} accounts watched; last run woke "
                f"{report.woken}, refreshed {report.refreshed} balances"
            )
        workflow.continue_as_new(request)
