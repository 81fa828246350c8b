"""Search attributes an operator filters accounts by in the Temporal UI.

Registered on the dev server at start (rebalancer dev up) and by the compose stack's admin
tools. Max drift is a Double because the UI filters ranges on it; it is a display value,
never an input to any decision.
"""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

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


async def ensure_registered(client: Client, namespace: str) -> list[str]:
    """Add whichever of our search attributes the server lacks; return the names added.

    Self-hosted servers and the dev server accept this; Temporal Cloud namespaces get them
    through the Cloud console or tcld instead (the call then fails with PermissionDenied).
    """
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        known = set(existing.custom_attributes) | set(existing.system_attributes)
    except RPCError as error:
        # The time-skipping test server can add attributes but not list them.
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    kinds = {
        "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        "Double": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    }
    missing = {key.name: kinds[KINDS[key]] for key in ALL if key.name not in known}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)
