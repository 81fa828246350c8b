"""JSON and YAML that a user hands us (a settings file, a credentials file, an accounts file),
parsed so that every way the text can fail that we know of is one ``InvalidInput`` naming the
file and the rule.

The parsers fail in more ways than their documented error classes: nesting past the
interpreter's recursion limit raises ``RecursionError``, an integer of more than 4,300 digits
``ValueError`` (Python's guard against quadratic conversion), in both JSON and YAML, and an
exact number with a huge exponent ``decimal.InvalidOperation``. Those used to reach a CLI
user as tracebacks. Reading the file (``read_text``) is the caller's: ``read_text_file``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from rebalancer.domain.errors import InvalidInput


def parse_json(
    text: str,
    field: str,
    *,
    parse_float: Callable[[str], Any] = Decimal,
    **hooks: Any,
) -> Any:
    """``json.loads`` with numbers exact unless ``parse_float`` says otherwise, and NaN and
    Infinity refused (JSON has neither); ``hooks`` are ``json.loads``'s own
    (``object_pairs_hook``, ``parse_constant``)."""
    hooks.setdefault("parse_constant", _refuse_constant)
    try:
        return json.loads(text, parse_float=parse_float, **hooks)
    except json.JSONDecodeError as error:
        raise InvalidInput(field, f"not valid JSON ({error.msg} at line {error.lineno})") from None
    except RecursionError:
        raise InvalidInput(field, "not valid JSON (nested too deeply)") from None
    except ValueError as error:
        raise InvalidInput(field, f"not valid JSON ({_value_problem(error)})") from None
    except ArithmeticError:
        # Decimal refuses an exponent past its context's (1e99999999999999999999).
        raise InvalidInput(field, "not valid JSON (a number out of range)") from None


def parse_yaml(text: str, field: str) -> Any:
    """``yaml.safe_load``, every failure an ``InvalidInput``."""
    import yaml  # only the settings file is YAML: commands that never read one skip it

    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InvalidInput(field, f"not valid YAML ({error.problem}{where})") from None
    except yaml.YAMLError:
        raise InvalidInput(field, "not valid YAML") from None
    except RecursionError:
        raise InvalidInput(field, "not valid YAML (nested too deeply)") from None
    except ValueError as error:
        raise InvalidInput(field, f"not valid YAML ({_value_problem(error)})") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _value_problem(error: ValueError) -> str:
    if "integer string conversion" in str(error):
        return "a number of more than 4300 digits"
    return str(error)[:200]


def read_text_file(path: Path, field: str, what: str) -> str:
    """``path``'s text as UTF-8; a file that cannot be read, or is not UTF-8, is refused."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(field, f"{what} {path} is not UTF-8 text") from None
    except OSError as error:
        raise InvalidInput(field, f"cannot read {what} {path}: {error.strerror}") from None
