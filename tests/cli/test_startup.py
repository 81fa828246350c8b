"""The command starts without loading what only a handler needs.

Building the parser imports every subcommand module; one top-level import of temporalio,
ccxt or numpy in any of them would make every command, `--help` and a refused argument
included, pay for it again (about 1.7 s on the machine in docs/performance.md).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rebalancer.cli import COMMANDS

HEAVY = ("temporalio", "ccxt", "numpy", "aiohttp", "rich", "matplotlib", "asyncpg", "workflows")

PROBE = """
import json, sys
from rebalancer.cli import build_parser
parser = build_parser()
try:
    parser.parse_args(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def loaded_by(*argv: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "argv",
    [(), ("--help",), ("account", "--help"), ("account", "add", "--bogus"), ("nope",)],
    ids=["parser", "help", "account-help", "refused-argument", "unknown-command"],
)
def test_building_and_refusing_load_nothing_heavy(argv: tuple[str, ...]) -> None:
    assert loaded_by(*argv) & set(HEAVY) == set()


def test_the_probe_sees_a_heavy_import() -> None:
    # The check above must be able to fail: a handler's import does show up.
    probe = PROBE.replace("parser = build_parser()", "parser = build_parser(); import numpy")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "numpy" in json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_module_has_its_help_line(name: str) -> None:
    module = importlib.import_module(f"rebalancer.cli.{name}")
    assert isinstance(module.HELP, str)
    assert module.HELP
    assert isinstance(getattr(module, "DESCRIPTION", ""), str)


RUN_PROBE = """
import json, sys
from rebalancer.cli import main
main(sys.argv[1:])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize(("report", "draws"), [(False, False), (True, True)])
def test_a_backtest_loads_matplotlib_only_to_draw(
    report: bool, draws: bool, tmp_path: Path
) -> None:
    # matplotlib costs 0.3 s of every backtest; only --report draws charts.
    argv = ["backtest", "--start", "2021-01-01", "--end", "2021-01-02", "--policies", "calendar"]
    argv += ["--jobs", "1", "--json", "--no-progress"]
    if report:
        argv += ["--report", str(tmp_path)]
    result = subprocess.run(
        [sys.executable, "-c", RUN_PROBE, *argv], capture_output=True, text=True, check=True
    )
    assert ("matplotlib" in json.loads(result.stdout.splitlines()[-1])) is draws
