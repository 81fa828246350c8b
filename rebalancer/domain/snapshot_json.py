"""Parse a snapshot from JSON text exactly: numbers become Decimal, never float."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.snapshot import Snapshot


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidInput(key, "duplicate key (each asset, symbol or setting appears once)")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise InvalidInput(name, "not a finite number")


def load_json_exact(text: str) -> Any:
    try:
        return json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_refuse_constant,
            object_pairs_hook=_refuse_duplicate_keys,
        )
    except json.JSONDecodeError as error:
        raise InvalidInput(
            "snapshot", f"not valid JSON ({error.msg} at line {error.lineno})"
        ) from None


def describe(error: ValidationError) -> InvalidInput:
    """The first problem of a pydantic error, as field path and rule."""
    first = error.errors()[0]
    path = ".".join(str(part) for part in first["loc"]) or "snapshot"
    message = first["msg"].removeprefix("Value error, ")
    return InvalidInput(path, message)


def parse_snapshot(text: str) -> Snapshot:
    data = load_json_exact(text)
    if not isinstance(data, dict):
        raise InvalidInput("snapshot", "must be a JSON object")
    try:
        return Snapshot.model_validate(data)
    except ValidationError as error:
        raise describe(error) from None
