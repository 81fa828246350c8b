"""``rebalancer worker``: the same worker as ``python worker.py``, which also finds the dev
stack's ledger when no database is configured (``rebalancer dev up``, then ``rebalancer
worker`` in the same shell)."""

from __future__ import annotations

import argparse

HELP = "run a worker: account workflows and their activities"
DESCRIPTION = "Settings: REBALANCER_* variables (docs/operations.md); ledger: DATABASE_URL."


def register(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    import worker
    from rebalancer.devstack.stack import with_dev_ledger
    from rebalancer.runtime.config import load_settings

    return worker.main(with_dev_ledger(load_settings()))
