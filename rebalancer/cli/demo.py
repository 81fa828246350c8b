"""``rebalancer demo``: one command, the whole system, then an audit."""

from __future__ import annotations

import argparse
import json

from rebalancer.domain.errors import InvalidInput

HELP = "run the embedded stack, a worker and N paper accounts, then audit"
DESCRIPTION = "Everything it starts, it stops, on Ctrl-C too."


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accounts", type=int, default=3, help="paper accounts (1-50)")
    parser.add_argument("--minutes", type=float, default=2.0, help="how long to trade")
    parser.add_argument("--json", action="store_true", help="last stdout line is a JSON summary")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if not 1 <= args.accounts <= 50:
        raise InvalidInput("--accounts", "must be between 1 and 50")
    if not 0 < args.minutes <= 600:
        raise InvalidInput("--minutes", "must be more than 0 and at most 600")
    from rebalancer.devstack.demo import main

    summary = main(args.accounts, args.minutes, args.json)
    if args.json:
        print(json.dumps(summary, separators=(",", ":")))
        return 0 if _healthy(summary) else 1
    print()
    print(f"accounts {summary['accounts']}, cycles {summary['cycles']}")
    print(f"orders placed {summary['orders_placed']}, filled {summary['orders_filled']}")
    print(f"duplicate client order ids: {summary['duplicate_client_order_ids']}")
    print(f"ledger balances equal venue balances: {summary['ledger_matches_venue']}")
    for account_id, mismatch in summary["mismatches"].items():
        print(f"  {account_id}: ledger - venue = {mismatch}")
    print(f"Temporal UI was at {summary['ui_url']}; state kept in {summary['state_dir']}")
    return 0 if _healthy(summary) else 1


def _healthy(summary: dict[str, object]) -> bool:
    return summary["duplicate_client_order_ids"] == 0 and summary["ledger_matches_venue"] is True
