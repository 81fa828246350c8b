"""Search attributes an operator filters accounts by in the Temporal UI: their definitions.

Registered on the dev server at start (rebalancer dev up, from ``dev_server_flags``), by the
compose stack's admin tools, and by ``rebalancer.control.search_attributes`` on a server
that lacks them. Max drift is a Double because the UI filters ranges on it; it is a display
value, never an input to any decision.
"""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeKey

ACCOUNT = SearchAttributeKey.for_keyword("RebalancerAccount")
STATE = SearchAttributeKey.for_keyword("RebalancerState")
MAX_DRIFT = SearchAttributeKey.for_float("RebalancerMaxDrift")

ALL = (ACCOUNT, STATE, MAX_DRIFT)
KINDS: dict[SearchAttributeKey[Any], str] = {
    ACCOUNT: "Keyword",
    STATE: "Keyword",
    MAX_DRIFT: "Double",
}


def dev_server_flags() -> list[str]:
    """``--search-attribute`` flags for ``temporal server start-dev``."""
    return [f"--search-attribute={key.name}={KINDS[key]}" for key in ALL]
