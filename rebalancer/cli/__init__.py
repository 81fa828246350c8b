"""The ``rebalancer`` command. Each subcommand lives in its own module: its ``HELP`` line
(and ``DESCRIPTION``, if any) for the parser made here, and ``register`` to fill it in.

Errors a user can fix (bad input, unreachable services) end as one line on stderr and exit
code 2; a traceback is a bug.

Building the parser imports every subcommand module, so each keeps its heavy imports
(temporalio, ccxt, aiohttp, numpy, the dev stack, rich, ...) inside the handlers that use
them: ``rebalancer --help`` or a refused argument loads none of them.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from rebalancer.runtime.entry import exit_with, reporting_errors

if TYPE_CHECKING:
    from temporalio.client import Client

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
    """A subcommand module: its one-line help, and ``register`` to fill in its parser.
    A module may also set ``DESCRIPTION``, the paragraph its own ``--help`` shows."""

    HELP: str

    def register(self, parser: argparse.ArgumentParser) -> None: ...


def run_async(coroutine: Coroutine[Any, Any, int]) -> int:
    """A handler's coroutine, run to its exit code."""
    import asyncio

    return asyncio.run(coroutine)


async def temporal_client() -> tuple[Client, str]:
    """A Temporal client from the settings, as ``rebalancer.runtime.temporal_connection``
    makes it, and the task queue they name; temporalio is imported only when a command
    dials."""
    from rebalancer.runtime.config import load_settings
    from rebalancer.runtime.temporal_connection import connect

    settings = load_settings()
    return await connect(settings), settings.task_queue


def id_commands(
    commands: Subparsers[argparse.ArgumentParser],
    id_name: str,
    helps: dict[str, str],
    handle: Callable[[argparse.Namespace, str], Coroutine[Any, Any, int]],
) -> None:
    """One subcommand per name in ``helps``, each taking the id ``id_name`` and handled by
    ``handle(args, name)``."""
    for name, help_text in helps.items():
        command = commands.add_parser(name, help=help_text)
        command.add_argument(id_name)
        command.set_defaults(handler=lambda a, n=name: run_async(handle(a, n)))


def build_parser() -> argparse.ArgumentParser:
    # argparse itself reports bad arguments: usage, one error line, exit code 2.
    parser = argparse.ArgumentParser(
        prog="rebalancer",
        description="Cost-aware, durable crypto portfolio rebalancing on Temporal.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        module: CommandModule = importlib.import_module(f"rebalancer.cli.{name}")
        module.register(
            subparsers.add_parser(
                name.replace("_", "-"),
                help=module.HELP,
                description=getattr(module, "DESCRIPTION", None),
            )
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    return reporting_errors(lambda: handler(args))


def run(argv: Sequence[str] | None = None) -> None:
    exit_with(main(argv))
