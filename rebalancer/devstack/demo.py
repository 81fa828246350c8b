"""``rebalancer demo``: the whole system on one machine, from nothing, in a few minutes.

It brings up the embedded stack (Temporal dev server with its UI, PostgreSQL, the paper venue
on a volatile market) and a worker process, funds N paper accounts in cash with different
targets, and lets their workflows build and keep the portfolios while a live table shows
drift, state, orders and cost. At the end it pauses the accounts, audits the venue's own
records against the ledger, and stops every process it started, on Ctrl-C too.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import signal
import time
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from temporalio.client import WorkflowHandle

from rebalancer.control.accounts import start_account
from rebalancer.devstack.audit import AccountAudit, audit_account
from rebalancer.devstack.stack import (
    DevStack,
    PaperAccount,
    Ports,
    worker_env,
    write_paper_accounts,
)
from rebalancer.domain.numbers import plain
from rebalancer.ledger.embedded import stop_embedded
from rebalancer.ledger.postgres_store import PostgresStore
from rebalancer.paper.admin_client import PaperAdmin
from rebalancer.pipeline.messages import AccountConfig, AccountStatus
from rebalancer.runtime import paths
from rebalancer.runtime.config import load_settings
from rebalancer.runtime.ports import free_port
from rebalancer.runtime.temporal_connection import connect
from workflows.account import AccountWorkflow

TARGET_SETS = [
    {"BTC": "0.4", "ETH": "0.3", "LINK": "0.1", "USDT": "0.2"},
    {"BTC": "0.5", "ETH": "0.3", "USDT": "0.2"},
    {"ETH": "0.4", "LINK": "0.2", "USDT": "0.4"},
    {"BTC": "0.7", "USDT": "0.3"},
    {"BTC": "0.25", "ETH": "0.25", "LINK": "0.25", "USDT": "0.25"},
]
STARTING_CASH = "100000"
# Fast cadence so a one-minute demo sees many cycles; the market runs 60x wall time.
DEMO_POLICY = {
    "check_interval_seconds": 5,
    "fill_timeout_seconds": 4,
    "requeue_base_seconds": 3,
    "requeue_max_seconds": 20,
}
MARKET_SPEED = "60"
TASK_QUEUE = "rebalancer-demo"


def make_accounts(count: int) -> tuple[list[AccountConfig], list[PaperAccount]]:
    configs, paper = [], []
    for i in range(count):
        account_id = f"demo-{i + 1}"
        configs.append(
            AccountConfig.model_validate(
                {
                    "account_id": account_id,
                    "venue": "paper",
                    "quote": "USDT",
                    "targets": TARGET_SETS[i % len(TARGET_SETS)],
                    "policy": DEMO_POLICY,
                    # Watched, as by default, and checked on the demo's fast cadence too.
                    "safety_check_seconds": DEMO_POLICY["check_interval_seconds"],
                }
            )
        )
        paper.append(
            PaperAccount(
                account_id, f"demo-key-{i + 1}", secrets.token_hex(24), {"USDT": STARTING_CASH}
            )
        )
    return configs, paper


def fresh_state() -> Path:
    state = paths.state_dir() / "demo"
    if state.exists():
        DevStack(state).down()
        stop_embedded(state)
        shutil.rmtree(state)
    state.mkdir(parents=True)
    return state


def status_table(statuses: dict[str, AccountStatus | None], elapsed: float, total: float) -> Table:
    table = Table(title=f"rebalancer demo: {elapsed:4.0f}s of {total:.0f}s")
    for column in (
        "account",
        "state",
        "cycle",
        "max |drift|",
        "orders",
        "filled",
        "queued",
        "last",
    ):
        table.add_column(
            column, justify="left" if column in ("account", "state", "last") else "right"
        )
    for account_id, status in statuses.items():
        if status is None:
            table.add_row(account_id, "starting", "-", "-", "-", "-", "-", "")
            continue
        drift = max((abs(d) for d in status.drift.values()), default=Decimal(0))
        last = status.last_cycle
        note = ""
        if last is not None:
            verdicts = ",".join(f"{a}:{v}" for a, v in sorted(last.verdicts.items()) if a != "USDT")
            note = f"#{last.cycle} {last.status} {verdicts}"
        table.add_row(
            account_id,
            status.state,
            str(status.cycle),
            f"{drift:.4f}",
            str(status.totals.get("orders_placed", 0)),
            str(status.totals.get("orders_filled", 0)),
            ",".join(leg.asset for leg in status.queued) or "-",
            note[:60],
        )
    return table


async def poll_statuses(
    handles: dict[str, WorkflowHandle[AccountWorkflow, None]],
) -> dict[str, AccountStatus | None]:
    async def one(handle: WorkflowHandle[AccountWorkflow, None]) -> AccountStatus | None:
        try:
            return await handle.query(AccountWorkflow.status)
        except Exception:  # a query before the first workflow task has nothing to say yet
            return None

    results = await asyncio.gather(*(one(h) for h in handles.values()))
    return dict(zip(handles, results, strict=True))


async def settle(handles: dict[str, WorkflowHandle[AccountWorkflow, None]]) -> None:
    """Pause every account and wait until none is mid-cycle, so every order is final."""
    await asyncio.gather(*(h.signal(AccountWorkflow.pause) for h in handles.values()))
    while True:
        statuses = await poll_statuses(handles)
        if all(s is not None and s.state == "paused" for s in statuses.values()):
            return
        await asyncio.sleep(0.5)


async def run(
    accounts: int, minutes: float, console: Console, as_json: bool, state: Path
) -> dict[str, Any]:
    configs, paper = make_accounts(accounts)
    credentials = write_paper_accounts(state, paper)
    ports = Ports(temporal=free_port(), ui=free_port(), venue=free_port())
    stack = DevStack(state)
    console.print("Starting Temporal, PostgreSQL and the paper venue ...")
    record = await asyncio.to_thread(
        stack.up, ports, scenario="volatile", seed=11, speed=MARKET_SPEED
    )
    stack.start_worker("worker", worker_env(record, credentials, TASK_QUEUE))
    settings = load_settings(temporal_address=record.temporal_address)
    client = await connect(settings)
    console.print(f"Temporal UI: [bold]{record.ui_url}[/bold] (open it while the demo runs)")
    handles = {c.account_id: await start_account(client, c, TASK_QUEUE) for c in configs}
    total = minutes * 60
    started = time.monotonic()
    with Live(console=console, refresh_per_second=2, transient=as_json) as live:
        while (elapsed := time.monotonic() - started) < total:
            live.update(status_table(await poll_statuses(handles), elapsed, total))
            await asyncio.sleep(1)
        live.update(status_table(await poll_statuses(handles), total, total))
    console.print("Pausing accounts and letting in-flight cycles finish ...")
    async with asyncio.timeout(90):
        await settle(handles)
    statuses = await poll_statuses(handles)
    audits: list[AccountAudit] = []
    async with (
        PaperAdmin(record.venue_url) as admin,
        PostgresStore.open(record.database_url) as ledger,
    ):
        for config in configs:
            audits.append(await audit_account(admin, ledger, config.account_id))
    return {
        "accounts": accounts,
        "minutes": minutes,
        "cycles": sum(s.cycle for s in statuses.values() if s is not None),
        "orders_placed": sum(a.orders for a in audits),
        "orders_filled": sum(a.orders_filled for a in audits),
        "duplicate_client_order_ids": sum(a.duplicate_client_order_ids for a in audits),
        "ledger_matches_venue": all(a.ledger_matches_venue for a in audits),
        "mismatches": {
            a.account_id: {k: plain(v) for k, v in a.mismatches.items()}
            for a in audits
            if a.mismatches
        },
        "ui_url": record.ui_url,
        "state_dir": str(state),
        "per_account": [
            {
                "account_id": a.account_id,
                "orders": a.orders,
                "orders_filled": a.orders_filled,
                "balances": {k: plain(v) for k, v in a.venue_balances.items()},
            }
            for a in audits
        ],
    }


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(accounts: int, minutes: float, as_json: bool) -> dict[str, Any]:
    console = Console(stderr=as_json)
    state = fresh_state()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return asyncio.run(run(accounts, minutes, console, as_json, state))
    finally:
        console.print("Stopping every process the demo started ...")
        stopped = DevStack(state).down()
        console.print("stopped: " + ", ".join(stopped))
        signal.signal(signal.SIGTERM, previous)
