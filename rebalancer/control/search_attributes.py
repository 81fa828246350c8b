"""Registering the account workflow's search attributes on a server (an operator RPC)."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from rebalancer.pipeline.search_attributes import ALL, KINDS

INDEXED_TYPES = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Double": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
}


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
    missing = {key.name: INDEXED_TYPES[KINDS[key]] for key in ALL if key.name not in known}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)
