"""The ``list`` subcommands: one JSON object with ``--json``, for scripts; else a table."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from rebalancer.cli import Subparsers, run_async

Row = dict[str, Any]


def add_list_command(
    commands: Subparsers[argparse.ArgumentParser],
    help_text: str,
    handle: Callable[[argparse.Namespace], Coroutine[Any, Any, int]],
) -> None:
    listing = commands.add_parser("list", help=help_text)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=lambda a: run_async(handle(a)))


def print_listing(
    args: argparse.Namespace,
    key: str,
    rows: Sequence[Row],
    title: str,
    columns: Sequence[str],
    cells: Callable[[Row], Sequence[str]],
) -> int:
    """``{key: rows}`` as one JSON line, or a table with one row of ``cells(row)`` per row."""
    if args.json:
        print(json.dumps({key: list(rows)}))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*cells(row))
    Console().print(table)
    return 0
