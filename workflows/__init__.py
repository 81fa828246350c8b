"""Deterministic orchestration only: no I/O, no venue or database libraries, workflow time."""

from workflows.account import AccountWorkflow
from workflows.review import ScheduledReviewWorkflow

WORKFLOWS = [AccountWorkflow, ScheduledReviewWorkflow]

__all__ = ["WORKFLOWS", "AccountWorkflow", "ScheduledReviewWorkflow"]
