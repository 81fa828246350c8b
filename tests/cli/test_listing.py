"""The ``list`` subcommands' output: every row under one key with --json, else a table."""

from __future__ import annotations

import argparse
import json

import pytest

from rebalancer.cli import build_parser
from rebalancer.cli.listing import Row, print_listing

ROWS: list[Row] = [
    {"name": "alpha", "paused": True, "next": None},
    {"name": "beta", "paused": False, "next": "2026-01-05T09:00:00"},
]


def _print(as_json: bool) -> int:
    return print_listing(
        argparse.Namespace(json=as_json),
        "things",
        ROWS,
        "Things",
        ("thing", "paused"),
        lambda row: (row["name"], "yes" if row["paused"] else "no"),
    )


def test_json_is_every_row_whole_under_its_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert _print(as_json=True) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1, "one line, for scripts"
    assert json.loads(out) == {"things": ROWS}


def test_table_has_the_title_columns_and_a_row_of_cells_per_row(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _print(as_json=False) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "Things" in lines[0]
    assert any("thing" in line and "paused" in line for line in lines)
    assert any("alpha" in line and "yes" in line for line in lines)
    assert any("beta" in line and "no" in line for line in lines)
    assert not any("2026" in line for line in lines), "only the cells are shown"


@pytest.mark.parametrize(
    "argv", [["account", "list"], ["schedule", "list"], ["paper", "account", "list"]]
)
def test_every_list_command_takes_json(argv: list[str]) -> None:
    parser = build_parser()
    assert parser.parse_args([*argv, "--json"]).json is True
    assert parser.parse_args(argv).json is False
