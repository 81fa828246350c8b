"""Parse a snapshot from JSON text exactly: numbers become Decimal, never float."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.snapshot import Snapshot


class _Object(dict[str, Any]):
    """A JSON object that remembers the first key it saw twice."""

    duplicate: str | None = None


class _NonFinite:
    """Stands in for a NaN/Infinity literal until its path is known."""

    def __init__(self, name: str) -> None:
        self.name = name


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    # The hook cannot see where the object sits, so it only records the duplicate; the
    # walk below names the full path.
    result = _Object()
    for key, value in pairs:
        if key in result and result.duplicate is None:
            result.duplicate = key
        result[key] = value
    return result


def _first_problem(value: Any, path: str) -> InvalidInput | None:
    if isinstance(value, _NonFinite):
        return InvalidInput(path, f"{value.name} is not a finite number")
    if isinstance(value, _Object):
        if value.duplicate is not None:
            return InvalidInput(
                _join(path, value.duplicate),
                "duplicate key (each asset, symbol or setting appears once)",
            )
        for key, item in value.items():
            problem = _first_problem(item, _join(path, key))
            if problem is not None:
                return problem
    if isinstance(value, list):
        for index, item in enumerate(value):
            problem = _first_problem(item, _join(path, str(index)))
            if problem is not None:
                return problem
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def load_json_exact(text: str) -> Any:
    """JSON with every number exact; duplicate keys and NaN/Infinity refused by path."""
    try:
        data = json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_NonFinite,
            object_pairs_hook=_object,
        )
    except json.JSONDecodeError as error:
        raise InvalidInput(
            "snapshot", f"not valid JSON ({error.msg} at line {error.lineno})"
        ) from None
    except RecursionError:
        raise InvalidInput("snapshot", "not valid JSON (nested too deeply)") from None
    except ValueError as error:
        # Python refuses integers of more than 4300 digits.
        raise InvalidInput("snapshot", f"not valid JSON ({error})") from None
    problem = _first_problem(data, "")
    if problem is not None:
        raise problem
    return data


def describe(error: ValidationError) -> InvalidInput:
    """The first problem of a pydantic error, as field path and rule."""
    first = error.errors()[0]
    path = ".".join(str(part) for part in first["loc"])
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, InvalidInput):
        # A model-level rule names its own field, relative to the model that raised it.
        return InvalidInput(_join(path, cause.field), cause.rule)
    message = first["msg"].removeprefix("Value error, ")
    return InvalidInput(path or "snapshot", message)


def parse_snapshot(text: str) -> Snapshot:
    data = load_json_exact(text)
    if not isinstance(data, dict):
        raise InvalidInput("snapshot", "must be a JSON object")
    try:
        return Snapshot.model_validate(data)
    except ValidationError as error:
        raise describe(error) from None
