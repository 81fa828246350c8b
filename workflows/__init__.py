"""Deterministic orchestration only: no I/O, no venue or database libraries, workflow time."""

from workflows.account import AccountWorkflow
from workflows.review import ScheduledReviewWorkflow
from workflows.venue_watch import VenueWatchWorkflow

WORKFLOWS = [AccountWorkflow, ScheduledReviewWorkflow, VenueWatchWorkflow]

__all__ = ["WORKFLOWS", "AccountWorkflow", "ScheduledReviewWorkflow", "VenueWatchWorkflow"]
