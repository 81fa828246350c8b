"""``rebalancer worker``: the same worker as ``python worker.py``."""

from __future__ import annotations

import argparse
import asyncio

from rebalancer.cli import Subparsers
from rebalancer.config import load_settings
from rebalancer.logging_setup import configure_logging


def register(subparsers: Subparsers[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run a worker: account workflows and their activities",
        description="Settings come from REBALANCER_* environment variables (docs/operations.md).",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    import worker

    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(worker.serve(settings))
    return 0
