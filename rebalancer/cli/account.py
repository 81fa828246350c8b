"""``rebalancer account``: add accounts and operate them through their workflows.

Signals pause, resume and force; updates change targets (validated by the workflow, so a
bad set is refused and nothing changes); a query reads status. Credentials are never
arguments here: workers resolve them by account id.
"""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from rebalancer.cli import id_commands, run_async, temporal_client
from rebalancer.cli.arguments import (
    check_account_id,
    parse_duration,
    parse_target_weights,
    parse_targets,
)
from rebalancer.cli.listing import Row, add_list_command, print_listing
from rebalancer.domain.errors import InvalidInput, RebalancerError
from rebalancer.domain.numbers import plain
from rebalancer.domain.policy_settings import MAX_CHECK_SECONDS
from rebalancer.domain.snapshot import ASSET_PATTERN
from rebalancer.domain.snapshot_json import describe, load_json_exact
from rebalancer.pipeline.names import workflow_id
from rebalancer.venue.profiles import PROFILES, check_venue

if TYPE_CHECKING:
    from temporalio.service import RPCError

    from rebalancer.pipeline.messages import AccountConfig, AccountStatus

# Registration retries a handful of times within seconds (REGISTER_RETRY in
# workflows/retry_policies.py); beyond this the worker is not there.
REGISTRATION_WAIT_SECONDS = 60


HELP = "add and operate accounts"


def register(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="account_command", required=True)

    add = commands.add_parser("add", help="start an account's workflow")
    add.add_argument("account_id")
    add.add_argument(
        "--venue",
        required=True,
        help=f"'paper' or one of {', '.join(sorted(PROFILES))} (docs/deployment.md: venues)",
    )
    add.add_argument("--targets", required=True, help="BTC/USDT=0.4,ETH/USDT=0.35,USDT=0.25")
    add.add_argument(
        "--watch",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="let the venue's fleet watcher wake the account when its drift leaves the "
        "band (default); --no-watch checks on the account's own timer only",
    )
    add.add_argument(
        "--check-every",
        default=None,
        help="the account's own check interval (60s, 5m, 1h): a safety check when watched "
        "(default 2d), the drift check when not (default 60s)",
    )
    add.add_argument("--policy", help="policy settings as JSON (docs/snapshot.md lists them)")
    add.set_defaults(handler=lambda a: run_async(_add(a)))

    targets = commands.add_parser("targets", help="change an account's targets")
    targets.add_argument("account_id")
    targets.add_argument("targets", help="BTC/USDT=0.5,USDT=0.5")
    targets.set_defaults(handler=lambda a: run_async(_targets(a)))

    id_commands(
        commands,
        "account_id",
        {
            "pause": "stop trading (checks stop too)",
            "resume": "resume trading",
            "force": "run a drift check now",
        },
        _signal,
    )

    status = commands.add_parser("status", help="an account's state, drift and last cycle")
    status.add_argument("account_id")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=lambda a: run_async(_status(a)))

    add_list_command(commands, "running accounts", _list)


def config_from_args(args: argparse.Namespace) -> AccountConfig:
    from rebalancer.pipeline.messages import AccountConfig

    check_account_id("account_id", args.account_id)
    check_venue("--venue", args.venue)
    quote, weights = parse_targets("--targets", args.targets)
    policy: dict[str, Any] = {}
    if args.policy:
        # Exact numbers, duplicate keys refused, nesting bounded: as a snapshot's policy.
        policy = load_json_exact(args.policy, field="--policy", root="policy")
        if not isinstance(policy, dict):
            raise InvalidInput("--policy", "must be a JSON object of settings")
    fields: dict[str, Any] = {"watched": args.watch}
    if args.check_every is not None:
        every = parse_duration("--check-every", args.check_every)
        if every > MAX_CHECK_SECONDS:
            raise InvalidInput("--check-every", f"must be at most {MAX_CHECK_SECONDS // 86_400}d")
        if args.watch:
            fields["safety_check_seconds"] = every
        else:
            policy["check_interval_seconds"] = every
    try:
        return AccountConfig.model_validate(
            {
                "account_id": args.account_id,
                "venue": args.venue,
                "quote": quote,
                "targets": weights,
                "policy": policy,
                **fields,
            }
        )
    except ValidationError as error:
        raise describe(error) from None


async def _add(args: argparse.Namespace) -> int:
    config = config_from_args(args)

    import asyncio

    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

    from rebalancer.control.accounts import start_account
    from workflows.account import AccountWorkflow

    client, task_queue = await temporal_client()
    try:
        handle = await start_account(client, config, task_queue)
    except WorkflowAlreadyStartedError:
        raise InvalidInput(
            "account_id", f"{config.account_id} already runs; change it with `account targets`"
        ) from None
    # Return once the account is registered (its venue answered, its markets exist, its
    # keys work), or fail with the cause: not 300 ms later in a worker's log.
    try:
        async with asyncio.timeout(REGISTRATION_WAIT_SECONDS):
            await handle.execute_update(AccountWorkflow.await_registration)
    except WorkflowUpdateFailedError as error:
        cause = error.cause.message if isinstance(error.cause, ApplicationError) else error
        raise RebalancerError(
            f"account {config.account_id} {cause}; it retries by itself once that is fixed "
            f"(`rebalancer account status {config.account_id}`)"
        ) from None
    except TimeoutError:
        raise RebalancerError(
            f"account {config.account_id} was started but no worker registered it within "
            f"{REGISTRATION_WAIT_SECONDS} s: is `rebalancer worker` running on task queue "
            f"{task_queue!r}?"
        ) from None
    print(
        f"account {config.account_id} registered and started as workflow "
        f"{workflow_id(config.account_id)}"
    )
    return 0


def targets_from_args(args: argparse.Namespace) -> dict[str, str]:
    """The new weights, checked by the rules the workflow's update validator applies.

    Only the account's quote is unknown here: the workflow holds it. When a BASE/QUOTE
    symbol names it, it is checked; otherwise a listed asset stands in for it, so every
    other rule (each weight a fraction, the exact sum of 1, asset names) is still checked
    before anything is sent, and the workflow checks the quote itself.
    """
    from rebalancer.pipeline.messages import AccountConfig

    account_id = check_account_id("account_id", args.account_id)
    quote, weights = parse_target_weights("targets", args.targets)
    if quote is None:
        listed = [asset for asset in weights if re.fullmatch(ASSET_PATTERN, asset)]
        quote = "USDT" if "USDT" in listed or not listed else listed[-1]
    try:
        AccountConfig.model_validate(
            {"account_id": account_id, "venue": "paper", "quote": quote, "targets": weights}
        )
    except ValidationError as error:
        raise describe(error) from None
    return weights


async def _targets(args: argparse.Namespace) -> int:
    weights = targets_from_args(args)

    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.service import RPCError

    from rebalancer.pipeline.messages import TargetsUpdate
    from workflows.account import AccountWorkflow

    client, _ = await temporal_client()
    handle = client.get_workflow_handle_for(AccountWorkflow.run, workflow_id(args.account_id))
    try:
        status = await handle.execute_update(
            AccountWorkflow.set_targets, TargetsUpdate(targets=weights)
        )
    except WorkflowUpdateFailedError as error:
        raise InvalidInput("targets", str(error.cause).removeprefix("targets rejected: ")) from None
    except RPCError as error:
        raise _not_found(args.account_id, error) from None
    print(f"targets of {args.account_id}: " + _weights(status.targets))
    return 0


async def _signal(args: argparse.Namespace, name: str) -> int:
    check_account_id("account_id", args.account_id)

    from temporalio.service import RPCError

    from rebalancer.pipeline.messages import ForceRequest
    from workflows.account import AccountWorkflow

    client, _ = await temporal_client()
    handle = client.get_workflow_handle_for(AccountWorkflow.run, workflow_id(args.account_id))
    try:
        if name == "force":
            await handle.signal(AccountWorkflow.force, ForceRequest(reason="operator"))
        elif name == "pause":
            await handle.signal(AccountWorkflow.pause)
        else:
            await handle.signal(AccountWorkflow.resume)
    except RPCError as error:
        raise _not_found(args.account_id, error) from None
    print(f"{name} sent to {args.account_id}")
    return 0


async def _status(args: argparse.Namespace) -> int:
    check_account_id("account_id", args.account_id)

    from temporalio.service import RPCError

    from workflows.account import AccountWorkflow

    client, _ = await temporal_client()
    handle = client.get_workflow_handle_for(AccountWorkflow.run, workflow_id(args.account_id))
    try:
        status = await handle.query(AccountWorkflow.status)
    except RPCError as error:
        raise _not_found(args.account_id, error) from None
    if args.json:
        print(status.model_dump_json())
    else:
        render_status(status)
    return 0


async def _list(args: argparse.Namespace) -> int:
    import asyncio

    from temporalio.service import RPCError

    from rebalancer.pipeline import search_attributes as sa
    from workflows.account import AccountWorkflow

    client, _ = await temporal_client()
    executions = [
        execution
        async for execution in client.list_workflows(
            "WorkflowType = 'AccountWorkflow' AND ExecutionStatus = 'Running'"
        )
    ]
    # Each account's own status adds its last cycle and, when it needs attention, the cause;
    # a few at a time, so a large fleet does not flood the server.
    gate = asyncio.Semaphore(16)

    async def row(execution: Any) -> dict[str, Any]:
        attributes = execution.typed_search_attributes
        found: dict[str, Any] = {
            "account_id": attributes.get(sa.ACCOUNT) or execution.id.removeprefix("account-"),
            "workflow_id": execution.id,
            "state": attributes.get(sa.STATE),
            "max_drift": attributes.get(sa.MAX_DRIFT),
            "started": execution.start_time.isoformat() if execution.start_time else None,
            "last_cycle": None,
            "attention": None,
        }
        handle = client.get_workflow_handle_for(AccountWorkflow.run, execution.id)
        try:
            async with gate, asyncio.timeout(10):
                status = await handle.query(AccountWorkflow.status)
        except (RPCError, TimeoutError):
            return found  # the search attributes still tell its state
        last = status.last_cycle
        found["state"] = status.state
        found["attention"] = status.attention
        if last is not None:
            found["last_cycle"] = {
                "cycle": last.cycle,
                "status": last.status,
                "ended_at": last.ended_at.isoformat() if last.ended_at else None,
            }
        return found

    rows = await asyncio.gather(*(row(execution) for execution in executions))
    return print_listing(
        args,
        "accounts",
        sorted(rows, key=lambda r: str(r["account_id"])),
        "Accounts",
        ("account", "state", "max |drift|", "last cycle", "cause"),
        _account_cells,
    )


def _account_cells(found: Row) -> tuple[str, ...]:
    last = found["last_cycle"]
    return (
        str(found["account_id"]),
        str(found["state"]),
        str(found["max_drift"]),
        f"{last['cycle']} {last['status']} {last['ended_at'] or ''}" if last else "-",
        str(found["attention"] or ""),
    )


def _not_found(account_id: str, error: RPCError) -> RebalancerError:
    from temporalio.service import RPCStatusCode

    if error.status == RPCStatusCode.NOT_FOUND:
        return InvalidInput("account_id", f"no running account {account_id}")
    return RebalancerError(f"Temporal refused: {error.message}")


def _weights(weights: dict[str, Any]) -> str:
    return ", ".join(f"{asset}={plain(weight)}" for asset, weight in sorted(weights.items()))


def render_status(status: AccountStatus) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{status.account_id}[/bold] on {status.venue}: {status.state}, cycle {status.cycle}"
    )
    if status.attention is not None:
        console.print(f"[bold red]needs attention:[/bold red] {status.attention}")
    console.print(f"targets: {_weights(status.targets)}")
    table = Table()
    for column in ("asset", "target", "drift"):
        table.add_column(column)
    for asset, target in sorted(status.targets.items()):
        drift = status.drift.get(asset)
        table.add_row(asset, plain(target), plain(round(drift, 6)) if drift is not None else "-")
    console.print(table)
    last = status.last_cycle
    if last is not None:
        console.print(
            f"last cycle {last.cycle} ({last.trigger}): {last.status}, "
            f"{last.orders_placed} orders, {last.orders_filled} filled"
            + (
                f", realised cost {plain(round(last.realised_cost, 4))}"
                if last.realised_cost
                else ""
            )
        )
    for leg in status.queued:
        console.print(f"queued {leg.side} {leg.asset} until {leg.retry_at:%H:%M:%S}: {leg.reason}")
    if status.next_check_at:
        console.print(f"next check at {status.next_check_at:%Y-%m-%d %H:%M:%S} UTC")
