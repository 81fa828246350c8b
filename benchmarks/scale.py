"""Scale: N account workflows checking every S seconds, every service on this machine.

    python benchmarks/scale.py [--accounts 1000] [--interval 60] [--minutes 3] [--workers 1]
                               [--warmup 1] [--json]

Accounts start on target in a calm market, so nearly every check is a no-trade check: the
steady cost of watching a fleet. After a warm-up of --warmup intervals, the window of
--minutes is measured from the ledger (one row per check), from the workflow histories
(every timer check's lag behind its schedule; Temporal actions per no-trade check), and from
psutil (worker and Temporal server CPU and memory).

The last stdout line (with --json) has checks_per_second, lag_p50_ms, lag_p99_ms,
worker_rss_mib, worker_cpu_percent, temporal_cpu_percent and actions_per_check.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import psutil
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle, WorkflowHistory

from benchmarks.harness import Bench, account_configs, bench_stack, console, percentile, run_cli
from rebalancer.control.accounts import start_account
from rebalancer.devstack.stack import alive
from rebalancer.paper.admin_client import PaperAdmin

TARGETS = {"BTC": "0.4", "ETH": "0.3", "USDT": "0.3"}
EQUITY = Decimal("100000")
# Events that Temporal Cloud bills as actions (a workflow task completing is not one).
ACTIONS = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    EventType.EVENT_TYPE_TIMER_STARTED,
    EventType.EVENT_TYPE_MARKER_RECORDED,
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
}
# The summary the account workflow gives the timer of its next regular check.
CHECK_TIMER = "next drift check"


async def venue_mids(venue_url: str) -> dict[str, Decimal]:
    """The venue's current mids of the fleet's assets."""
    async with PaperAdmin(venue_url) as admin:
        market = await admin.market()
    return {asset: Decimal(market[f"{asset}/USDT"]["mid"]) for asset in ("BTC", "ETH")}


def holdings_on(
    targets: Mapping[str, Decimal | str], mids: Mapping[str, Decimal]
) -> dict[str, str]:
    """Holdings of ``EQUITY`` that sit on ``targets`` at ``mids``."""
    balances = {"USDT": str(EQUITY * Decimal(targets["USDT"]))}
    for asset, mid in mids.items():
        balances[asset] = str((EQUITY * Decimal(targets[asset]) / mid).quantize(Decimal("0.0001")))
    return balances


async def on_target_balances(venue_url: str) -> dict[str, str]:
    """Holdings that sit exactly on the targets at the venue's current mids."""
    return holdings_on(TARGETS, await venue_mids(venue_url))


async def start_fleet(bench: Bench, concurrency: int = 64) -> None:
    semaphore = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        config = bench.configs[index]
        async with semaphore:
            bench.handles[config.account_id] = await start_account(
                bench.client, config, "rebalancer-bench"
            )

    await asyncio.gather(*(one(i) for i in range(len(bench.configs))))


class Sampler:
    """CPU and RSS of named processes, sampled every few seconds."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.cpu: dict[str, list[float]] = {name: [] for name in pids}
        self.rss: dict[str, list[float]] = {name: [] for name in pids}
        for process in self.processes.values():
            process.cpu_percent(None)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(5)
            for name, process in self.processes.items():
                try:
                    self.cpu[name].append(process.cpu_percent(None))
                    self.rss[name].append(process.memory_info().rss / 2**20)
                except psutil.NoSuchProcess:
                    pass


async def ledger_window(dsn: str, start: datetime, end: datetime) -> tuple[int, int]:
    """Checks recorded in the window, and how many of them traded."""
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            """
            SELECT (decision -> 'summary' ->> 'orders_placed')::int AS orders
              FROM cycles
             WHERE started_at >= $1 AND started_at < $2 AND ended_at IS NOT NULL
            """,
            start,
            end,
        )
    finally:
        await connection.close()
    trading = sum(1 for r in rows if (r["orders"] or 0) > 0)
    return len(rows), trading


async def fetch_histories(bench: Bench, concurrency: int = 32) -> list[WorkflowHistory]:
    """Every account's history (its current run), in the order the accounts started."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(handle: WorkflowHandle[Any, Any]) -> WorkflowHistory:
        async with semaphore:
            return await handle.fetch_history()

    return await asyncio.gather(*(one(h) for h in bench.handles.values()))


def _at(event: HistoryEvent) -> float:
    return event.event_time.ToDatetime().timestamp()


def check_lags(histories: Sequence[WorkflowHistory], start: datetime, end: datetime) -> list[int]:
    """How late each regular check that began in the window began, in ms: when the workflow
    task after its timer fired started (the check's workflow time), against when the check
    was due (the workflow time of the task that set the timer, plus the timer's duration)."""
    lags: list[int] = []
    for history in histories:
        due: dict[int, float] = {}
        task_started = 0.0
        fired: float | None = None
        for event in history.events:
            kind = event.event_type
            if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                task_started = _at(event)
                if fired is not None and start.timestamp() <= task_started < end.timestamp():
                    lags.append(round((task_started - fired) * 1000))
                fired = None
            elif kind == EventType.EVENT_TYPE_TIMER_STARTED and _summary(event) == CHECK_TIMER:
                timeout = event.timer_started_event_attributes.start_to_fire_timeout
                due[event.event_id] = task_started + timeout.ToTimedelta().total_seconds()
            elif kind == EventType.EVENT_TYPE_TIMER_FIRED:
                fired = due.get(event.timer_fired_event_attributes.started_event_id)
    late = sorted(lags)[-20:]
    console.print(f"slowest lags (ms): {late}; over 1 s: {sum(1 for x in lags if x > 1000)}")
    return lags


def _summary(event: HistoryEvent) -> str | None:
    if not event.HasField("user_metadata") or not event.user_metadata.HasField("summary"):
        return None
    text: str = json.loads(event.user_metadata.summary.data)
    return text


def actions_per_check(histories: Sequence[WorkflowHistory], sample: int = 5) -> float:
    """Billable actions per steady-state check, from the histories of a few accounts.

    Counted between the second and the last timer firing, so registration and one-off
    markers do not inflate the figure.
    """
    actions = 0
    checks = 0
    for history in histories[:sample]:
        events = history.events
        fired = [
            i for i, e in enumerate(events) if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED
        ]
        if len(fired) < 3:
            continue
        window = events[fired[1] : fired[-1]]
        checks += len(fired) - 2
        actions += sum(1 for e in window if e.event_type in ACTIONS)
    return round(actions / max(checks, 1), 2)


def recorded_cycles(
    bench: Bench, workers: list[str], start: datetime, end: datetime
) -> tuple[dict[str, int], int]:
    """Cycles each worker recorded in the window, and cycles recorded by more than one."""
    seen: dict[tuple[str, int], set[str]] = {}
    counts = dict.fromkeys(workers, 0)
    for worker in workers:
        for line in (bench.state / f"{worker}.log").read_text().splitlines():
            if '"cycle recorded"' not in line:
                continue
            row = json.loads(line)
            moment = datetime.fromisoformat(row["timestamp"])
            if not start <= moment < end:
                continue
            counts[worker] += 1
            seen.setdefault((row["account"], row["cycle"]), set()).add(worker)
    return counts, sum(1 for owners in seen.values() if len(owners) > 1)


def lag_sources(histories: Sequence[WorkflowHistory], sample: int = 20) -> dict[str, float]:
    """Where timer lag comes from, in a sample of histories: the server firing the timer
    late, the fired timer's workflow task waiting for a worker, or the task running long
    (its local activities run inside it, and workflow time stands still meanwhile)."""
    fire_late: list[float] = []
    task_wait: list[float] = []
    task_run: list[float] = []
    for history in histories[:sample]:
        events = history.events
        due: dict[int, float] = {}
        after_timer = False
        scheduled_at = started_at = 0.0
        for event in events:
            at = event.event_time.ToDatetime().timestamp()
            kind = event.event_type
            if kind == EventType.EVENT_TYPE_TIMER_STARTED:
                timeout = event.timer_started_event_attributes.start_to_fire_timeout
                due[event.event_id] = at + timeout.ToTimedelta().total_seconds()
            elif kind == EventType.EVENT_TYPE_TIMER_FIRED:
                started = event.timer_fired_event_attributes.started_event_id
                if started in due:
                    fire_late.append((at - due[started]) * 1000)
                after_timer = True
            elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                scheduled_at = at
            elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                started_at = at
                if after_timer:
                    task_wait.append((at - scheduled_at) * 1000)
            elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and after_timer:
                task_run.append((at - started_at) * 1000)
                after_timer = False
    return {
        "timer_fire_late_p50_ms": round(percentile(fire_late, 50), 1),
        "timer_fire_late_p99_ms": round(percentile(fire_late, 99), 1),
        "task_wait_p50_ms": round(percentile(task_wait, 50), 1),
        "task_wait_p99_ms": round(percentile(task_wait, 99), 1),
        "task_run_p50_ms": round(percentile(task_run, 50), 1),
        "task_run_p99_ms": round(percentile(task_run, 99), 1),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    policy = {"check_interval_seconds": args.interval, "band": "0.05"}
    configs = account_configs(args.accounts, TARGETS, policy, watched=False)
    venue_args = ["--weight-limit=100000000", "--orders-limit=10000000"]
    async with bench_stack([], {}, scenario="calm", venue_args=venue_args, keep=args.keep) as bench:
        bench.configs = configs
        balances = await on_target_balances(bench.record.venue_url)
        console.print(f"funding {args.accounts} paper accounts on target ...")
        await bench.add_paper_accounts(configs, balances)
        for _ in range(args.workers):
            bench.start_worker(REBALANCER_MAX_CACHED_WORKFLOWS=str(args.cache))
        console.print(f"starting {args.accounts} account workflows ...")
        started = time.monotonic()
        await start_fleet(bench)
        console.print(f"started in {time.monotonic() - started:.1f}s; warming up ...")
        await asyncio.sleep(args.warmup * args.interval)
        record = bench.stack.record()
        assert record is not None
        pids = {p.name: p.pid for p in record.processes if alive(p)}
        sampler = Sampler({k: v for k, v in pids.items() if k.startswith(("worker", "temporal"))})
        stop = asyncio.Event()
        sampling = asyncio.create_task(sampler.run(stop))
        window_start = datetime.now(UTC)
        await asyncio.sleep(args.minutes * 60)
        window_end = datetime.now(UTC)
        stop.set()
        await sampling
        checks, trading = await ledger_window(
            bench.record.database_url, window_start, window_end - timedelta(seconds=1)
        )
        histories = await fetch_histories(bench)
        lags = check_lags(histories, window_start, window_end - timedelta(seconds=1))
        seconds = (window_end - window_start).total_seconds()
        workers = [name for name in sampler.cpu if name.startswith("worker")]
        per_worker, duplicated = recorded_cycles(bench, workers, window_start, window_end)
        result = {
            "accounts": args.accounts,
            "interval_seconds": args.interval,
            "workers": args.workers,
            "window_seconds": round(seconds),
            "checks": checks,
            "checks_per_second": round(checks / seconds, 2),
            "expected_checks_per_second": round(args.accounts / args.interval, 2),
            "trading_checks": trading,
            "lag_p50_ms": percentile(lags, 50),
            "lag_p99_ms": percentile(lags, 99),
            "lag_max_ms": max(lags) if lags else None,
            "worker_rss_mib": round(max(max(sampler.rss[w], default=0) for w in workers), 1),
            "worker_cpu_percent": round(
                sum(sum(sampler.cpu[w]) / max(len(sampler.cpu[w]), 1) for w in workers), 1
            ),
            "temporal_cpu_percent": round(
                sum(sampler.cpu.get("temporal", [0]))
                / max(len(sampler.cpu.get("temporal", [])), 1),
                1,
            ),
            "actions_per_check": actions_per_check(histories),
            "lag_sources": lag_sources(histories),
            "cycles_per_worker": per_worker,
            "cycles_recorded_by_two_workers": duplicated,
        }
        return result


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--warmup", type=float, default=1.5, help="intervals before measuring")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cache", type=int, default=10_000, help="cached workflows per worker")
    parser.add_argument("--keep", action="store_true", help="keep the state directory (logs)")


def main() -> None:
    run_cli(__doc__, options, run)


if __name__ == "__main__":
    main()
