"""Workflow modules stay deterministic: no I/O library imported, no clock or randomness."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
IO_LIBRARIES = {
    "ccxt",
    "asyncpg",
    "aiohttp",
    "requests",
    "httpx",
    "urllib3",
    "psycopg",
    "aiolimiter",
}
FORBIDDEN_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("time", "time"),
    ("time", "sleep"),
    ("time", "monotonic"),
    ("asyncio", "sleep"),
    ("random", "random"),
    ("uuid", "uuid4"),
    ("os", "environ"),
}
FORBIDDEN_NAMES = {"open", "print", "input"}


def test_importing_workflows_loads_no_io_library() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, workflows, workflows.account, workflows.activity_port,"
            " workflows.retry_policies, workflows.review;"
            "print(json.dumps(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    loaded = {name.split(".")[0] for name in json.loads(result.stdout.splitlines()[-1])}
    assert not loaded & IO_LIBRARIES, f"workflow imports pull in {sorted(loaded & IO_LIBRARIES)}"


def test_workflow_code_has_no_clock_randomness_or_io_calls() -> None:
    problems = []
    for path in sorted(WORKFLOWS.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                for name in names:
                    if name.split(".")[0] in IO_LIBRARIES | {"random", "socket", "subprocess"}:
                        problems.append(f"{path.name}:{node.lineno} imports {name}")
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and (node.value.id, node.attr) in FORBIDDEN_CALLS
            ):
                problems.append(f"{path.name}:{node.lineno} uses {node.value.id}.{node.attr}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in FORBIDDEN_NAMES
            ):
                problems.append(f"{path.name}:{node.lineno} calls {node.func.id}()")
    assert not problems, problems
