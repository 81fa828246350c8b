"""The ``rebalancer`` command. Each subcommand lives in its own module with ``register``.

Errors a user can fix (bad input, unreachable services) end as one line on stderr and exit
code 2; a traceback is a bug.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Protocol

from pydantic import ValidationError

from rebalancer.domain.errors import RebalancerError
from rebalancer.domain.snapshot_json import describe

# Subcommand modules under rebalancer.cli, in help order.
COMMANDS = [
    "plan",
    "db",
    "worker",
    "account",
    "paper",
    "schedule",
    "dev",
    "paper_venue",
    "demo",
    "backtest",
]

Handler = Callable[[argparse.Namespace], int]


Subparsers = argparse._SubParsersAction  # argparse exposes no public name for it


class CommandModule(Protocol):
    def register(self, subparsers: Subparsers[argparse.ArgumentParser]) -> None: ...


def build_parser() -> argparse.ArgumentParser:
    # argparse itself reports bad arguments: usage, one error line, exit code 2.
    parser = argparse.ArgumentParser(
        prog="rebalancer",
        description="Cost-aware, durable crypto portfolio rebalancing on Temporal.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        module: CommandModule = importlib.import_module(f"rebalancer.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ValidationError as error:
        print(f"rebalancer: error: {one_line(str(describe(error)))}", file=sys.stderr)
    except RebalancerError as error:
        print(f"rebalancer: error: {one_line(str(error))}", file=sys.stderr)
    except KeyboardInterrupt:
        print("rebalancer: interrupted", file=sys.stderr)
        return 130
    return 2


def one_line(text: str) -> str:
    """``text`` with control characters escaped: a key in a file may hold a newline."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def run(argv: Sequence[str] | None = None) -> None:
    code = main(argv)
    if "temporalio.bridge.temporal_sdk_bridge" in sys.modules:
        # The Temporal client's native runtime threads can still hold the GIL machinery when
        # the interpreter finalizes, which sporadically aborts the process (SIGABRT) after
        # the command has finished. Everything is done and flushed here, so skip
        # finalization: the exit code is the command's, every time.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
