"""Latency: detect-drift start -> order acknowledged by the venue, and -> first fill.

    python benchmarks/latency.py [--accounts 8] [--cycles 240] [--rate 4] [--json]

On the embedded stack (Temporal dev server with fast queue processors, embedded PostgreSQL,
the paper venue as its own process, one worker process), each account's targets flip back
and forth by update; every update forces a check that trades a marketable limit order. The
worker logs, per acknowledged order, the time since its detect-drift activity started
(measured inside the worker, on one clock); this script collects those lines.

The last stdout line (with --json) has p50_ms, p95_ms, p99_ms and n for detect -> ack, and
the same for detect -> first fill of marketable orders.

In the same run, on the same server, it measures the floor: a workflow woken the same way
that makes the same hops (two local activities, then a regular one) with no-op activities,
in a worker process of its own (benchmarks/floor.py), at the same rate. `floor` holds its
percentiles and `ratio_p95` is detect -> ack p95 over the floor's p95: an absolute figure
does not travel between machines, a ratio to the floor does.

With --steps, both worker processes time every step of the path inside themselves
(benchmarks/step_timing/sitecustomize.py) and `steps` holds, for ours and for the floor, the
median of each step from the update's activation to the placement: where the time above the
floor goes. The timing adds a little to both paths; compare runs with the same setting.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from temporalio.client import WorkflowHandle

from benchmarks.floor_workflow import FloorWorkflow
from benchmarks.harness import Bench, account_configs, bench_stack, console, percentile, run_cli
from rebalancer.devstack.stack import spawn
from rebalancer.pipeline.messages import TargetsUpdate
from workflows.account import AccountWorkflow

FLOOR_WORKER = Path(__file__).resolve().parent / "floor.py"
STEP_TIMING = Path(__file__).resolve().parent / "step_timing"
FLOOR_QUEUE = "rebalancer-floor"

TARGETS = ({"BTC": "0.30", "USDT": "0.70"}, {"BTC": "0.32", "USDT": "0.68"})
POLICY = {
    # Only forced checks trade; the timer stays out of the way.
    "check_interval_seconds": 3600,
    "execution_style": "marketable",
    "band": "0.001",
    "risk_aversion": "1000",
    "fill_timeout_seconds": 2,
    # Trades here are ~2% of equity: let one order take them whole.
    "max_depth_fraction": "0.2",
}


async def drive(
    handle: WorkflowHandle[AccountWorkflow, None],
    cycles: int,
    n: int,
    accounts: int,
    interval: float,
) -> int:
    """Flip targets ``cycles`` times, one update every ``interval`` seconds.

    An update forces a check at once; the driver never polls workflow state while it runs,
    so it adds nothing to the path it measures.
    """
    # Accounts take turns: account n starts n/accounts of an interval after the first, so the
    # offered load is a steady rate rather than bursts of every account at once.
    await asyncio.sleep(interval * n / accounts)
    for i in range(cycles):
        await handle.execute_update(
            AccountWorkflow.set_targets, TargetsUpdate(targets=TARGETS[(i + n) % 2])
        )
        await asyncio.sleep(interval)
    return cycles


def acknowledged(log: Path) -> list[dict[str, Any]]:
    rows = []
    for line in log.read_text().splitlines():
        if '"order acknowledged"' in line:
            rows.append(json.loads(line))
    return rows


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "p99_ms": round(percentile(values, 99), 2),
        "max_ms": round(max(values), 2) if values else None,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    console.print(f"driving {args.cycles} trading cycles over {args.accounts} accounts ...")
    configs = account_configs(args.accounts, TARGETS[0], POLICY, watched=False)
    balances = {"USDT": "70000", "BTC": "0.5"}
    venue_args = ["--weight-limit=10000000", "--orders-limit=1000000"]
    async with bench_stack(configs, balances, scenario="calm", venue_args=venue_args) as bench:
        worker = bench.start_worker(**step_env(args, bench.state / "steps" / "worker"))
        await bench.start_accounts()
        await warm_up(bench)
        per_account = max(1, args.cycles // args.accounts)
        interval = args.accounts / args.rate
        started = time.monotonic()
        cycles = sum(
            await asyncio.gather(
                *(
                    drive(h, per_account, n, args.accounts, interval)
                    for n, h in enumerate(bench.handles.values())
                )
            )
        )
        async with asyncio.timeout(120):
            await bench.settle()
        elapsed = time.monotonic() - started
        rows = acknowledged(bench.state / f"{worker}.log")
        # The warm-up cycles (first per account) pay for imports and connections: drop them.
        rows = [r for r in rows if r.get("cycle", 0) > 1]
        to_ack = [r["since_detect_ms"] for r in rows if r.get("since_detect_ms") is not None]
        to_fill = [
            r["since_detect_ms"]
            for r in rows
            if r.get("since_detect_ms") is not None and r.get("filled") not in (None, "0")
        ]
        floor = await measure_floor(bench, args, per_account, interval)
        measured = summary(to_ack)
        steps = (
            {
                "ours": path_steps(bench.state / "steps" / "worker", "place_limit_order"),
                "floor": path_steps(bench.state / "steps" / "floor", "floor_place"),
            }
            if args.steps
            else None
        )
        return {
            **measured,
            "floor": summary(floor),
            "floor_p95_ms": round(percentile(floor, 95), 2),
            "ratio_p95": round(measured["p95_ms"] / percentile(floor, 95), 2),
            "first_fill": summary(to_fill),
            "cycles": cycles,
            "accounts": args.accounts,
            "offered_cycles_per_second": args.rate,
            "achieved_cycles_per_second": round(cycles / elapsed, 2),
            **({"steps": steps} if steps is not None else {}),
        }


def step_env(args: argparse.Namespace, folder: Path, io: bool = True) -> dict[str, str]:
    """The environment that loads the step timing into a worker process (--steps)."""
    if not args.steps:
        return {}
    # Ahead of the caller's own path; a sitecustomize of theirs is shadowed for the run.
    path = [str(STEP_TIMING), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {
        "PYTHONPATH": os.pathsep.join(path),
        "REBALANCER_STEP_TIMINGS": str(folder),
        "REBALANCER_STEP_TIMINGS_IO": "1" if io else "0",
    }


Span = tuple[float, float, str, str]


def path_steps(folder: Path, place: str) -> dict[str, Any]:
    """Median milliseconds of each step from the update's activation to the placement.

    A placement's path is the three workflow activations that ended before it started (the
    update's, then detect's and assess's results), the two local activities between them,
    and the placement itself; a path whose first activation is not the update's (another
    account's work interleaved) is left out, so the medians describe paths that did not
    queue behind another account: what the path costs, not the tail. No path: samples 0.
    """
    spans: list[Span] = []
    for file in folder.glob("*.txt"):
        for line in file.read_text().splitlines():
            start, end, name, *tag = line.split()
            spans.append((float(start), float(end), name, " ".join(tag)))
    spans.sort()
    activations = [s for s in spans if s[2] == "_WorkflowWorker._handle_activation"]
    completions = [s for s in spans if s[2] == "Worker.complete_workflow_activation"]
    activities = [s for s in spans if s[2] == "_ActivityWorker._execute_activity"]
    calls = [s for s in spans if s[2].startswith(("CcxtGateway.", "PostgresStore."))]
    steps: dict[str, list[float]] = defaultdict(list)

    def ms(span: Span) -> float:
        return (span[1] - span[0]) * 1000

    for placed in (s for s in activities if s[3] == place):
        path = [a for a in activations if a[1] <= placed[0] + 0.0005][-3:]
        if len(path) < 3 or "do_update" not in path[0][3]:
            continue
        between = [a for a in activities if path[0][0] <= a[0] < placed[0]]
        if len(between) != 2:
            continue
        (update, after_detect, after_assess), (detect, assess) = path, between
        steps["update_activation"].append(ms(update))
        steps["detect"].append(ms(detect))
        steps["after_detect_activation"].append(ms(after_detect))
        steps["assess"].append(ms(assess))
        steps["after_assess_activation"].append(ms(after_assess))
        steps["after_assess_completion"].append(
            sum(ms(c) for c in completions if after_assess[0] <= c[0] <= after_assess[1])
        )
        steps["place"].append(ms(placed))
        steps["update_to_place_start"].append((placed[0] - update[0]) * 1000)
        for call in calls:
            if update[0] <= call[0] <= placed[1]:
                steps[call[2]].append(ms(call))
    return {"samples": len(steps.get("place", []))} | {
        name: round(statistics.median(values), 2) for name, values in steps.items()
    }


async def measure_floor(
    bench: Bench, args: argparse.Namespace, per_account: int, interval: float
) -> list[float]:
    """The same hops with nothing in them, driven the same way, on the same server."""
    process = spawn(
        "floor",
        [sys.executable, str(FLOOR_WORKER)],
        bench.state / "floor.log",
        bench.env(
            REBALANCER_TASK_QUEUE=FLOOR_QUEUE,
            **step_env(args, bench.state / "steps" / "floor", io=False),
        ),
    )
    bench.stack.add_process(process)
    handles = [
        await bench.client.start_workflow(
            FloorWorkflow.run, id=f"floor-{n}-{time.time_ns()}", task_queue=FLOOR_QUEUE
        )
        for n in range(args.accounts)
    ]

    async def drive_floor(handle: WorkflowHandle[FloorWorkflow, None], n: int) -> None:
        await handle.execute_update(FloorWorkflow.go)  # warm-up, dropped below
        await asyncio.sleep(interval * n / args.accounts)
        for _ in range(per_account):
            await handle.execute_update(FloorWorkflow.go)
            await asyncio.sleep(interval)

    await asyncio.gather(*(drive_floor(h, n) for n, h in enumerate(handles)))
    elapsed: list[float] = []
    async with asyncio.timeout(120):
        for handle in handles:
            done = await handle.query(FloorWorkflow.elapsed_ms)
            while len(done) < per_account + 1:
                await asyncio.sleep(0.2)
                done = await handle.query(FloorWorkflow.elapsed_ms)
            elapsed.extend(done[1:])
            await handle.signal(FloorWorkflow.stop)
    return elapsed


async def warm_up(bench: Bench) -> None:
    """Wait for every account's first (start-up) cycle, so measured cycles are steady state."""
    async with asyncio.timeout(120):
        while True:
            statuses = await bench.statuses()
            if all(
                s is not None and s.cycle >= 1 and s.state != "trading" for s in statuses.values()
            ):
                return
            await asyncio.sleep(0.2)


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accounts", type=int, default=8)
    parser.add_argument("--cycles", type=int, default=240)
    parser.add_argument(
        "--rate", type=float, default=4.0, help="forced trading cycles per second, all accounts"
    )
    parser.add_argument(
        "--steps", action="store_true", help="time each step of the path in both workers"
    )


def main() -> None:
    run_cli(__doc__, options, run)


if __name__ == "__main__":
    main()
