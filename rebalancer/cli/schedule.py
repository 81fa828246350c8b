"""``rebalancer schedule``: calendar reviews through Temporal Schedules.

A schedule starts the small ScheduledReview workflow, which signals the account's workflow
to check now. The account workflow remains the only thing that trades.
"""

from __future__ import annotations

import argparse

from rebalancer.cli import id_commands, run_async, temporal_client
from rebalancer.cli.arguments import check_account_id, check_schedule_id, parse_cron
from rebalancer.cli.listing import Row, add_list_command, print_listing
from rebalancer.domain.errors import InvalidInput, RebalancerError

HELP = "calendar reviews (Temporal Schedules)"


def register(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="schedule_command", required=True)

    create = commands.add_parser("create", help="review an account on a cron calendar")
    create.add_argument("account_id")
    create.add_argument("--cron", required=True, help="cron expression, UTC: '0 9 * * MON'")
    create.add_argument("--id", help="schedule id (default review-<account>)")
    create.set_defaults(handler=lambda a: run_async(_create(a)))

    add_list_command(commands, "list schedules", _list)

    id_commands(
        commands,
        "schedule_id",
        {
            "pause": "pause a schedule",
            "unpause": "unpause a schedule",
            "delete": "delete a schedule",
        },
        _manage,
    )


async def _create(args: argparse.Namespace) -> int:
    check_account_id("account_id", args.account_id)
    parse_cron("--cron", args.cron)
    schedule_id = check_schedule_id("--id", args.id or f"review-{args.account_id}")

    from temporalio.client import (
        Schedule,
        ScheduleActionStartWorkflow,
        ScheduleAlreadyRunningError,
        ScheduleOverlapPolicy,
        SchedulePolicy,
        ScheduleSpec,
        ScheduleState,
    )
    from temporalio.service import RPCError, RPCStatusCode

    from workflows.review import ScheduledReviewWorkflow

    client, task_queue = await temporal_client()
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            ScheduledReviewWorkflow.run,
            args.account_id,
            id=f"review-{args.account_id}",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[args.cron]),
        # A review that is still running makes the next one pointless, not urgent.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(note=f"calendar review of {args.account_id}"),
    )
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        raise InvalidInput("--id", f"schedule {schedule_id} already exists") from None
    except RPCError as error:
        if error.status == RPCStatusCode.INVALID_ARGUMENT:
            raise InvalidInput("--cron", error.message) from None
        raise RebalancerError(f"Temporal refused the schedule: {error.message}") from None
    print(f"schedule {schedule_id} reviews {args.account_id} on '{args.cron}' (UTC)")
    return 0


async def _list(args: argparse.Namespace) -> int:
    client, _ = await temporal_client()
    rows: list[Row] = []
    async for entry in await client.list_schedules():
        info, state = entry.info, entry.schedule.state if entry.schedule else None
        rows.append(
            {
                "schedule_id": entry.id,
                "paused": state.paused if state else None,
                "next": [t.isoformat() for t in (info.next_action_times[:1] if info else [])],
                "note": state.note if state else None,
            }
        )
    return print_listing(
        args,
        "schedules",
        rows,
        "Schedules",
        ("schedule", "paused", "next run (UTC)"),
        lambda row: (row["schedule_id"], str(row["paused"]), ", ".join(row["next"])),
    )


async def _manage(args: argparse.Namespace, action: str) -> int:
    check_schedule_id("schedule_id", args.schedule_id)

    from temporalio.service import RPCError, RPCStatusCode

    client, _ = await temporal_client()
    handle = client.get_schedule_handle(args.schedule_id)
    try:
        if action == "pause":
            await handle.pause(note="paused from the CLI")
        elif action == "unpause":
            await handle.unpause(note="unpaused from the CLI")
        else:
            await handle.delete()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise InvalidInput("schedule_id", f"no schedule {args.schedule_id}") from None
        raise RebalancerError(f"Temporal refused: {error.message}") from None
    print(f"schedule {args.schedule_id}: {action}d")
    return 0
