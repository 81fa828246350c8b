"""Reading the deployment files the way Docker Compose does, without a Docker engine.

Compose interpolates ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}`` and
``$VAR`` in every string, with ``$$`` for a literal dollar. The checks interpolate with an
empty environment, so what they see is what ``docker compose up`` does on a machine with no
.env file: the defaults.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.temporal.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
DOCS = REPO / "docs"

VARIABLE = re.compile(
    r"\$(?:\$|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


@dataclass(frozen=True)
class Variable:
    name: str
    has_default: bool


def variables(text: str) -> list[Variable]:
    """The variables a string interpolates, and whether each has a default."""
    found = []
    for match in VARIABLE.finditer(text):
        if match.group(0) == "$$":
            continue
        name = match.group("braced") or match.group("bare")
        found.append(Variable(name, match.group("op") in (":-", "-")))
    return found


def interpolate(value: Any, env: dict[str, str] | None = None) -> Any:
    """``value`` with every string interpolated as Compose would, given ``env``."""
    env = env or {}
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            name = match.group("braced") or match.group("bare")
            op, arg = match.group("op"), match.group("arg") or ""
            current = env.get(name)
            if op == ":-" and not current:
                return arg
            if op == "-" and current is None:
                return arg
            return current or ""

        return VARIABLE.sub(replace, value)
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    return value


def raw_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{COMPOSE_FILE.name} must be a mapping"
    return data


def compose() -> dict[str, Any]:
    """The compose file, interpolated with no environment; a fresh copy every call."""
    return copy.deepcopy(interpolate(raw_compose()))


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
