"""``rebalancer dev up|down|status``: the embedded stack in the background."""

from __future__ import annotations

import argparse
import json
import shlex
from typing import TYPE_CHECKING

from rebalancer.cli.arguments import market_speed

if TYPE_CHECKING:
    from rebalancer.devstack.stack import DevStack


HELP = "run Temporal, PostgreSQL and the paper venue locally, in the background"
DESCRIPTION = "State lives under $REBALANCER_STATE_DIR/dev (default ~/.local/state)."


def register(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="dev_command", required=True)
    up = commands.add_parser("up", help="start the stack (reuses it if already up)")
    up.add_argument("--temporal-port", type=int, default=7233)
    up.add_argument("--ui-port", type=int, default=8233)
    up.add_argument("--venue-port", type=int, default=8765)
    up.add_argument(
        "--scenario", default="volatile", choices=["calm", "volatile", "thin", "faulty"]
    )
    up.add_argument("--seed", type=int, default=7)
    up.add_argument(
        "--speed", type=market_speed, default=1.0, help="simulated seconds per wall second"
    )
    up.set_defaults(handler=_up)
    down = commands.add_parser("down", help="stop everything the stack started")
    down.set_defaults(handler=_down)
    status = commands.add_parser("status", help="what runs, where, and its logs")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_status)


def stack() -> DevStack:
    from rebalancer.devstack.stack import default_stack

    return default_stack()


def _up(args: argparse.Namespace) -> int:
    from rebalancer.devstack.stack import Ports
    from rebalancer.ledger.connection import redact

    record = stack().up(
        Ports(temporal=args.temporal_port, ui=args.ui_port, venue=args.venue_port),
        scenario=args.scenario,
        seed=args.seed,
        speed=str(args.speed),
    )
    shown = redact(record.database_url)
    print(f"Temporal   {record.temporal_address}  (UI {record.ui_url})")
    print(f"PostgreSQL {shown}")
    print(f"Venue      {record.venue_url}")
    print(
        "Next: `rebalancer worker` (it finds this stack's ledger), then `rebalancer account add`."
    )
    # A DSN with a password came from this shell's environment: other shells take it from
    # wherever it was set, never from our output (terminal scrollback, CI logs).
    database = (
        f"DATABASE_URL={shlex.quote(record.database_url)} " if shown == record.database_url else ""
    )
    print(
        f"export REBALANCER_TEMPORAL_ADDRESS={record.temporal_address} "
        f"{database}REBALANCER_PAPER_VENUE_URL={record.venue_url}"
    )
    if not database:
        variable = record.database_url_from or "DATABASE_URL"
        print(f"(the database password stays in {variable}: set it in the other shell too)")
    return 0


def _down(args: argparse.Namespace) -> int:
    stopped = stack().down()
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return 0


def _status(args: argparse.Namespace) -> int:
    status = stack().status()
    if args.json:
        print(json.dumps(status))
        return 0
    if not status.get("processes"):
        print(f"the dev stack is not up (state in {status['state_dir']})")
        return 0
    print(f"state: {status['state_dir']}")
    print(f"Temporal {status['temporal_address']}, UI {status['ui_url']}")
    print(f"venue {status['venue_url']}")
    for name, process in status["processes"].items():
        state = "up" if process["alive"] else "DOWN"
        print(f"  {name:12} pid {process['pid']:>7}  {state:4}  {process['log']}")
    return 0 if status["up"] else 1
