"""The Dockerfile, read statically: it copies what `pip install .` needs, runs as non-root."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rebalancer.cli import COMMANDS
from tests.deploy.compose_checks import Problems, read_env_names, settings_env_names
from tests.deploy.stack_files import REPO


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def instructions(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    found: list[Instruction] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, arguments = full.partition(" ")
        found.append(Instruction(keyword.upper(), arguments.strip()))
    return found


def _exec_form(arguments: str) -> list[str] | None:
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError:
        return None
    return [str(part) for part in value] if isinstance(value, list) else None


def _flags(arguments: str) -> tuple[dict[str, str], list[str]]:
    flags, words = {}, arguments.split()
    while words and words[0].startswith("--"):
        name, _, value = words.pop(0)[2:].partition("=")
        flags[name] = value
    return flags, words


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore ``patterns`` keep ``path`` (or a parent) out of the context."""
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern.lstrip("!").strip("/")
        regex = re.escape(body).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, candidate) for candidate in candidates):
            result = not negate
    return result


def dockerignore_patterns(path: Path) -> list[str]:
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def package_inputs(root: Path = REPO) -> set[str]:
    """Top-level paths `pip install .` reads: pyproject, readme, packages, py-modules."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    needed = {"pyproject.toml"}
    readme = project.get("readme")
    if isinstance(readme, str):
        needed.add(readme)
    setuptools = pyproject.get("tool", {}).get("setuptools", {})
    for module in setuptools.get("py-modules", []):
        needed.add(f"{module}.py")
    for pattern in setuptools.get("packages", {}).get("find", {}).get("include", []):
        top = pattern.split(".")[0].rstrip("*")
        if (root / top / "__init__.py").is_file():
            needed.add(top)
    return needed


def check_dockerfile(text: str, root: Path = REPO, ignore: list[str] | None = None) -> Problems:
    ignore = ignore if ignore is not None else dockerignore_patterns(root / ".dockerignore")
    problems: Problems = []
    steps = instructions(text)
    froms = [step for step in steps if step.keyword == "FROM"]
    if not froms or steps[0].keyword not in ("FROM", "ARG"):
        problems.append("Dockerfile: must start with FROM")
    stages = set()
    for step in froms:
        words = step.arguments.split()
        image = words[0]
        if len(words) >= 3 and words[1].upper() == "AS":
            stages.add(words[2])
        if image in stages:
            continue
        tag = image.rpartition(":")[2] if ":" in image else ""
        if not re.search(r"\d", tag) or tag == "latest":
            problems.append(f"Dockerfile: FROM {image} must pin a version tag")
    copied: set[str] = set()
    for step in steps:
        if step.keyword not in ("COPY", "ADD"):
            continue
        flags, words = _flags(step.arguments)
        if "from" in flags:
            continue
        for source in words[:-1]:
            copied.add(source.rstrip("/"))
            if not (root / source).exists():
                problems.append(
                    f"Dockerfile: {step.keyword} {source}: no such file in the repository"
                )
            elif ignored(source, ignore):
                problems.append(f"Dockerfile: {step.keyword} {source}: .dockerignore excludes it")
    for needed in sorted(package_inputs(root) - copied):
        problems.append(f"Dockerfile: pip install . needs {needed}, which is not copied")
    users = [step.arguments.split(":")[0] for step in steps if step.keyword == "USER"]
    if not users or users[-1] in ("root", "0"):
        problems.append("Dockerfile: the final USER must not be root")
    entry = next(
        (_exec_form(s.arguments) for s in reversed(steps) if s.keyword == "ENTRYPOINT"), None
    )
    if entry != ["rebalancer"]:
        problems.append(f'Dockerfile: ENTRYPOINT must be ["rebalancer"], not {entry}')
    cmd = next((_exec_form(s.arguments) for s in reversed(steps) if s.keyword == "CMD"), None)
    if not cmd or cmd[0].replace("-", "_") not in COMMANDS:
        problems.append(f"Dockerfile: CMD {cmd} is not a rebalancer command")
    if not any(step.keyword == "HEALTHCHECK" for step in steps):
        problems.append("Dockerfile: needs a HEALTHCHECK")
    env = _env(steps)
    known = set(settings_env_names()) | read_env_names()
    for name in env:
        if name.startswith("REBALANCER_") and name not in known:
            problems.append(f"Dockerfile: ENV {name} is not a setting")
    exposed = {
        int(port.split("/")[0])
        for s in steps
        if s.keyword == "EXPOSE"
        for port in s.arguments.split()
    }
    metrics = env.get("REBALANCER_METRICS_PORT")
    if metrics is not None and int(metrics) not in exposed:
        problems.append(f"Dockerfile: EXPOSE does not include the metrics port {metrics}")
    return problems


def _env(steps: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for step in steps:
        if step.keyword == "ENV":
            for pair in step.arguments.split():
                name, sep, value = pair.partition("=")
                if sep:
                    env[name] = value
    return env
