"""Parse a snapshot from JSON text exactly: numbers become Decimal, never float."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.numbers import DEC_MAX_DIGITS, DEC_MAX_EXPONENT, ZERO
from rebalancer.domain.snapshot import Snapshot
from rebalancer.domain.text_files import parse_json


class _Object(dict[str, Any]):
    """A JSON object that remembers the first key it saw twice."""

    duplicate: str | None = None


class _NonFinite:
    """Stands in for a NaN/Infinity literal until its path is known."""

    def __init__(self, name: str) -> None:
        self.name = name


class _OutOfRange:
    """Stands in for a number literal too long or too far from 1 for any field."""

    def __init__(self, text: str) -> None:
        self.text = text if len(text) <= 40 else text[:40] + "..."


def _number(text: str) -> Decimal | _OutOfRange:
    # Refused here, by its literal, before any field sees it: an integer setting converts a
    # Decimal such as 1E+999999999 to a billion-digit int. No field takes a number beyond the
    # Dec bounds, and a zero's exponent carries no value.
    value = Decimal(text)
    if value.is_zero():
        return value if -DEC_MAX_EXPONENT <= value.adjusted() <= DEC_MAX_EXPONENT else ZERO
    if not -DEC_MAX_EXPONENT <= value.adjusted() <= DEC_MAX_EXPONENT:
        return _OutOfRange(text)
    if len(text) > DEC_MAX_DIGITS + 20:
        return _OutOfRange(text)
    return value


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    # The hook cannot see where the object sits, so it only records the duplicate; the
    # walk below names the full path.
    result = _Object()
    for key, value in pairs:
        if key in result and result.duplicate is None:
            result.duplicate = key
        result[key] = value
    return result


# A snapshot nests five levels (books -> symbol -> side -> level -> number); anything much
# deeper is not a snapshot, and a deep walk of it would exhaust the stack.
MAX_DEPTH = 32
# A snapshot of thousands of assets is well under 1 MiB; past this, reading and validating
# would take memory and time out of proportion to any portfolio.
MAX_TEXT_CHARS = 16 * 1024 * 1024


def _first_problem(data: Any, root: str) -> InvalidInput | None:
    """The first NaN/Infinity or duplicate key in document order, or a nesting too deep.

    Iterative, so a document as deep as the parser allows cannot exhaust the stack here.
    """
    stack: list[Iterator[tuple[str, Any]]] = [iter([(root, data)])]
    while stack:
        try:
            path, value = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        if isinstance(value, _NonFinite):
            return InvalidInput(path, f"{value.name} is not a finite number")
        if isinstance(value, _OutOfRange):
            return InvalidInput(
                path,
                f"{value.text} has more than {DEC_MAX_DIGITS} digits or an exponent beyond"
                f" +-{DEC_MAX_EXPONENT}",
            )
        if isinstance(value, _Object) and value.duplicate is not None:
            return InvalidInput(
                _join(path, value.duplicate),
                "duplicate key (each asset, symbol or setting appears once)",
            )
        if isinstance(value, (dict, list)):
            if len(stack) > MAX_DEPTH:
                return InvalidInput(path, f"nested deeper than {MAX_DEPTH} levels")
            stack.append(_children(path, value))
    return None


def _children(path: str, value: dict[str, Any] | list[Any]) -> Iterator[tuple[str, Any]]:
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        yield _join(path, str(key)), item


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def load_json_exact(text: str, field: str = "snapshot", root: str = "") -> Any:
    """JSON with every number exact; duplicate keys and NaN/Infinity refused by path.

    ``field`` names the whole text in an error (a file, an option); ``root`` prefixes the
    path of a problem inside it.
    """
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(field, f"larger than {MAX_TEXT_CHARS // (1024 * 1024)} MiB")
    data = parse_json(
        text, field, parse_float=_number, parse_constant=_NonFinite, object_pairs_hook=_object
    )
    problem = _first_problem(data, root)
    if problem is not None:
        # A problem at the top of the document has no path of its own.
        raise InvalidInput(problem.field or field, problem.rule)
    return data


def describe(error: ValidationError, root: str = "snapshot") -> InvalidInput:
    """The first problem of a pydantic error, as field path and rule; ``root`` names what
    was validated when the problem has no field of its own."""
    first = error.errors()[0]
    path = ".".join(str(part) for part in first["loc"])
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, InvalidInput):
        # A model-level rule names its own field, relative to the model that raised it.
        return InvalidInput(_join(path, cause.field), cause.rule)
    message = first["msg"].removeprefix("Value error, ")
    return InvalidInput(path or root, message)


def parse_snapshot(text: str) -> Snapshot:
    data = load_json_exact(text)
    if not isinstance(data, dict):
        raise InvalidInput("snapshot", "must be a JSON object")
    try:
        return Snapshot.model_validate(data)
    except ValidationError as error:
        raise describe(error) from None
