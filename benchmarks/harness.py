"""Shared by the benchmarks: an embedded stack with paper accounts, a worker, and audits.

Every benchmark runs the real parts (Temporal dev server with its SQLite file, embedded
PostgreSQL, the paper venue process, worker processes) in a throwaway state directory, and
stops all of them on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from rich.console import Console
from temporalio.client import Client, WorkflowHandle

from rebalancer.control.accounts import start_account
from rebalancer.devstack.audit import AccountAudit, audit_account
from rebalancer.devstack.stack import (
    DevStack,
    PaperAccount,
    Ports,
    StackRecord,
    worker_env,
    write_credentials,
    write_paper_accounts,
)
from rebalancer.ledger.postgres_store import PostgresStore
from rebalancer.paper.admin_client import PaperAdmin
from rebalancer.pipeline.messages import AccountConfig, AccountStatus
from rebalancer.runtime.config import load_settings
from rebalancer.runtime.ports import free_port
from rebalancer.runtime.temporal_connection import connect
from workflows.account import AccountWorkflow

TASK_QUEUE = "rebalancer-bench"
console = Console(stderr=True)


# One set of balances for every account, or each account's own.
Funding = Mapping[str, str] | Callable[[AccountConfig], Mapping[str, str]]


@dataclass
class Bench:
    state: Path
    stack: DevStack
    record: StackRecord
    credentials: Path
    client: Client
    configs: list[AccountConfig]
    handles: dict[str, WorkflowHandle[AccountWorkflow, None]] = field(default_factory=dict)
    workers: list[str] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        return worker_env(self.record, self.credentials, TASK_QUEUE, **extra)

    def start_worker(self, **extra: str) -> str:
        name = f"worker-{len(self.workers)}"
        self.stack.start_worker(name, self.env(**extra))
        self.workers.append(name)
        return name

    async def add_paper_accounts(
        self, configs: Sequence[AccountConfig], balances: Funding, concurrency: int = 32
    ) -> None:
        """Fund accounts on the running venue and give the workers their credentials."""
        accounts = paper_accounts(configs, balances)
        semaphore = asyncio.Semaphore(concurrency)
        async with PaperAdmin(self.record.venue_url) as admin:

            async def one(account: PaperAccount) -> None:
                async with semaphore:
                    await admin.add_account(
                        account.account_id,
                        account.api_key,
                        SecretStr(account.api_secret),
                        {k: Decimal(v) for k, v in account.balances.items()},
                    )

            await asyncio.gather(*(one(a) for a in accounts))
        write_credentials(self.credentials, accounts)

    async def start_accounts(self) -> None:
        for config in self.configs:
            self.handles[config.account_id] = await start_account(self.client, config, TASK_QUEUE)

    async def statuses(self) -> dict[str, AccountStatus | None]:
        async def one(handle: WorkflowHandle[AccountWorkflow, None]) -> AccountStatus | None:
            try:
                return await handle.query(AccountWorkflow.status)
            except Exception:  # not started yet, or a server restart in progress
                return None

        results = await asyncio.gather(*(one(h) for h in self.handles.values()))
        return dict(zip(self.handles, results, strict=True))

    async def settle(self) -> None:
        """Pause every account and wait until no cycle is in flight (callers bound the wait)."""
        for handle in self.handles.values():
            await handle.signal(AccountWorkflow.pause)
        while True:
            statuses = await self.statuses()
            if all(s is not None and s.state == "paused" for s in statuses.values()):
                return
            await asyncio.sleep(0.5)

    async def audit(self) -> list[AccountAudit]:
        async with (
            PaperAdmin(self.record.venue_url) as admin,
            PostgresStore.open(self.record.database_url) as ledger,
        ):
            return [await audit_account(admin, ledger, c.account_id) for c in self.configs]

    async def lost_fills(self) -> int:
        """Fills in the venue's own records that the ledger does not hold."""
        lost = 0
        async with (
            PaperAdmin(self.record.venue_url) as admin,
            PostgresStore.open(self.record.database_url) as ledger,
        ):
            for config in self.configs:
                venue = await admin.trades(config.account_id)
                held = await ledger.fills_since(config.account_id, datetime(2000, 1, 1, tzinfo=UTC))
                keys = {(f.symbol, f.trade_id) for f in held}
                lost += sum(1 for t in venue if (t["symbol"], str(t["trade_id"])) not in keys)
        return lost


def paper_accounts(configs: Sequence[AccountConfig], balances: Funding) -> list[PaperAccount]:
    def fund(config: AccountConfig) -> dict[str, str]:
        return dict(balances(config) if callable(balances) else balances)

    return [
        PaperAccount(c.account_id, f"key-{c.account_id}", secrets.token_hex(24), fund(c))
        for c in configs
    ]


@asynccontextmanager
async def bench_stack(
    configs: list[AccountConfig],
    balances: dict[str, str],
    *,
    scenario: str = "calm",
    speed: str = "1",
    venue_args: Sequence[str] = (),
    keep: bool = False,
) -> AsyncIterator[Bench]:
    state = Path(tempfile.mkdtemp(prefix="rebalancer-bench-"))
    credentials = write_paper_accounts(state, paper_accounts(configs, balances))
    stack = DevStack(state)
    console.print(f"starting the stack in {state} ...")
    with cancelled_by_sigterm():
        # A thread cannot be cancelled: a stop asked for while the stack starts waits for it
        # to finish starting, so that stopping finds every process it started.
        starting = asyncio.ensure_future(
            asyncio.to_thread(
                stack.up,
                Ports(temporal=free_port(), ui=free_port(), venue=free_port()),
                scenario=scenario,
                speed=speed,
                venue_extra=list(venue_args),
            )
        )
        try:
            record = await asyncio.shield(starting)
            client = await connect(load_settings(temporal_address=record.temporal_address))
            yield Bench(state, stack, record, credentials, client, configs)
        finally:
            await asyncio.wait([starting])
            console.print("stopping the stack ...")
            await asyncio.to_thread(stack.down)
            if not keep:
                shutil.rmtree(state, ignore_errors=True)


@contextmanager
def cancelled_by_sigterm() -> Iterator[None]:
    """While inside, SIGTERM cancels the running task instead of ending the process on the
    spot, so that its ``finally`` blocks run. A benchmark killed with ``kill`` (or by a
    timeout) used to leave its Temporal server, PostgreSQL and venue running and its state
    folder behind."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    if task is None:
        raise RuntimeError("cancelled_by_sigterm needs a running task")
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def account_configs(
    count: int, targets: dict[str, str], policy: dict[str, Any], **account: Any
) -> list[AccountConfig]:
    """``count`` paper accounts; ``account`` sets AccountConfig fields (``watched``...)."""
    return [
        AccountConfig.model_validate(
            {
                "account_id": f"bench-{i:06d}",
                "venue": "paper",
                "targets": targets,
                "policy": policy,
                **account,
            }
        )
        for i in range(count)
    ]


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def run_cli(
    doc: str | None,
    options: Callable[[argparse.ArgumentParser], None],
    run: Callable[[argparse.Namespace], Coroutine[Any, Any, dict[str, Any]]],
) -> dict[str, Any]:
    """A benchmark's command line, described by its docstring's first paragraph: its
    ``options`` plus ``--json``, then run and report, with the machine it ran on. Returns the
    result."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    options(parser)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
        outcome = asyncio.run(run(args))
    except asyncio.CancelledError:
        console.print("stopped (SIGTERM); the stack is down")
        raise SystemExit(128 + signal.SIGTERM) from None
    result = {**outcome, "machine": machine()}
    emit(result, args.json)
    return result


def emit(result: dict[str, Any], as_json: bool) -> None:
    """Human lines on stderr; with --json the last stdout line is the result."""
    for key, value in result.items():
        console.print(f"{key:>32}: {value}")
    if as_json:
        print(json.dumps(result, default=str), flush=True)


def machine() -> dict[str, Any]:
    import os
    import platform

    import psutil

    return {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
    }


def decimal_str(value: Decimal) -> str:
    return format(value, "f")
