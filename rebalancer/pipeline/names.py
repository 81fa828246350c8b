"""Names the workflows and their operators agree on: who is addressed by which id."""

from __future__ import annotations


def workflow_id(account_id: str) -> str:
    """The account workflow's id: one workflow per account, ``account-<id>``."""
    return f"account-{account_id}"


def watcher_id(venue: str) -> str:
    """The venue's fleet watcher: one per venue and namespace, ``watch-<venue>``."""
    return f"watch-{venue}"
