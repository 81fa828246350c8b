"""Chaos: crash the worker mid-cycle, restart Temporal and PostgreSQL, storm the venue.

    python benchmarks/chaos.py [--accounts 4] [--kills 12] [--seed 7] [--json]

Accounts trade continuously (their targets flip every couple of seconds, so nearly every
cycle places orders) on a venue that answers some order POSTs with a 5xx after accepting
them, drops others, adds latency, goes into maintenance and rate-limits in storms. Meanwhile
the worker is SIGKILLed at random points and restarted, the Temporal dev server is restarted
once (its SQLite file keeps the workflows), and PostgreSQL once.

Afterwards the accounts are paused and the venue's own records are audited against the
ledger. The last stdout line (with --json) holds at least kills, cycles, duplicate_orders,
lost_fills and ledger_matches_venue.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from temporalio.client import WorkflowHandle

from benchmarks.harness import Bench, account_configs, bench_stack, console, run_cli
from rebalancer.ledger.embedded import start_embedded, stop_embedded
from rebalancer.paper.admin_client import PaperAdmin
from rebalancer.pipeline.messages import TargetsUpdate
from workflows.account import AccountWorkflow

TARGETS = (
    {"BTC": "0.35", "ETH": "0.25", "USDT": "0.40"},
    {"BTC": "0.25", "ETH": "0.35", "USDT": "0.40"},
)
POLICY = {
    "check_interval_seconds": 3,
    "fill_timeout_seconds": 2,
    "requeue_base_seconds": 1,
    "requeue_max_seconds": 5,
    "band": "0.005",
    "risk_aversion": "50",
}
FAULTS = {
    "ambiguous_probability": 0.08,
    "ambiguous_mode": "error",
    "latency_ms": 2,
    "latency_jitter_ms": 15,
    "error_probability": 0.02,
}


async def flip_targets(bench: Bench, stop: asyncio.Event, rng: random.Random) -> int:
    """Alternate each account's targets, so each forced check has something to trade.

    One task per account: an update waits for a live worker, and a dead one must not stall
    the other accounts' flips.
    """

    async def flip(n: int, handle: WorkflowHandle[AccountWorkflow, None]) -> int:
        flips = 0
        while not stop.is_set():
            try:
                async with asyncio.timeout(15):
                    await handle.execute_update(
                        AccountWorkflow.set_targets, TargetsUpdate(targets=TARGETS[(flips + n) % 2])
                    )
                flips += 1
            except Exception as error:  # server restart, worker down: the next flip retries
                console.print(f"[dim]flip skipped: {type(error).__name__}[/dim]")
            await asyncio.sleep(rng.uniform(1.5, 3.0))
        return flips

    counts = await asyncio.gather(*(flip(n, h) for n, h in enumerate(bench.handles.values())))
    return sum(counts)


async def storms(bench: Bench, stop: asyncio.Event, rng: random.Random) -> dict[str, int]:
    """Rate-limit storms and maintenance windows, now and then."""
    injected = {
        "rate_limit_storms": 0,
        "maintenance_windows": 0,
        "rejected_429": 0,
        "rejected_418": 0,
    }
    async with PaperAdmin(bench.record.venue_url) as admin:
        while not stop.is_set():
            await asyncio.sleep(rng.uniform(6, 12))
            if stop.is_set():
                break
            if rng.random() < 0.5:
                await admin.set_faults(weight_limit=40, weight_window=2)
                injected["rate_limit_storms"] += 1
                await asyncio.sleep(4)
                limits = (await admin.set_faults()).get("limits", {})
                injected["rejected_429"] += int(limits.get("rejected_429", 0))
                injected["rejected_418"] += int(limits.get("rejected_418", 0))
                await admin.set_faults(weight_limit=1_000_000, weight_window=60, reset_limits=True)
            else:
                await admin.set_faults(maintenance=True, maintenance_seconds=3)
                injected["maintenance_windows"] += 1
    return injected


async def chaos(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    configs = account_configs(args.accounts, TARGETS[0], POLICY, watched=False)
    balances = {"USDT": "200000", "BTC": "1", "ETH": "10"}
    venue_args = ["--weight-limit=1000000", "--orders-limit=100000"]
    async with bench_stack(
        configs, balances, scenario="volatile", speed="30", venue_args=venue_args
    ) as bench:
        bench.start_worker()
        async with PaperAdmin(bench.record.venue_url) as admin:
            await admin.set_faults(**FAULTS)
        await bench.start_accounts()
        stop = asyncio.Event()
        flipper = asyncio.create_task(flip_targets(bench, stop, rng))
        stormer = asyncio.create_task(storms(bench, stop, rng))
        kills = 0
        restarts = {"temporal": 0, "postgres": 0}
        started = time.monotonic()
        for k in range(args.kills):
            await asyncio.sleep(rng.uniform(2.0, 6.0))
            # SIGKILL: no graceful shutdown, in-flight activities die with the process.
            await asyncio.to_thread(bench.stack.restart, bench.workers[0], hard=True)
            kills += 1
            console.print(f"kill {kills}: worker restarted")
            if k == args.kills // 3:
                await asyncio.sleep(rng.uniform(0.5, 2.0))
                await asyncio.to_thread(bench.stack.restart, "temporal")
                restarts["temporal"] += 1
                console.print("Temporal dev server restarted")
            if k == 2 * args.kills // 3:
                await asyncio.sleep(rng.uniform(0.5, 2.0))
                await asyncio.to_thread(stop_embedded, bench.state)
                await asyncio.sleep(1.0)
                await asyncio.to_thread(start_embedded, bench.state)
                restarts["postgres"] += 1
                console.print("PostgreSQL restarted")
        await asyncio.sleep(3)
        stop.set()
        flips = await flipper
        injected = await stormer
        async with PaperAdmin(bench.record.venue_url) as admin:
            await admin.set_faults(
                ambiguous_probability=0, error_probability=0, latency_ms=0, latency_jitter_ms=0
            )
            venue_faults = await admin.set_faults()
        console.print("settling: pausing accounts and waiting for in-flight cycles ...")
        async with asyncio.timeout(600):
            await bench.settle()
        elapsed = time.monotonic() - started
        statuses = await bench.statuses()
        audits = await bench.audit()
        lost = await bench.lost_fills()
        return {
            "kills": kills,
            "temporal_restarts": restarts["temporal"],
            "postgres_restarts": restarts["postgres"],
            "accounts": args.accounts,
            "cycles": sum(s.cycle for s in statuses.values() if s is not None),
            "target_flips": flips,
            "orders": sum(a.orders for a in audits),
            "orders_filled": sum(a.orders_filled for a in audits),
            "duplicate_orders": sum(a.duplicate_client_order_ids for a in audits),
            "lost_fills": lost,
            "ledger_matches_venue": all(a.ledger_matches_venue for a in audits),
            "mismatches": {
                a.account_id: {k: str(v) for k, v in a.mismatches.items()}
                for a in audits
                if a.mismatches
            },
            "faults": {**injected, **venue_faults.get("faults", {}).get("injected", {})},
            "rate_limits": venue_faults.get("limits", {}),
            "seconds": round(elapsed, 1),
            "seed": args.seed,
        }


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)


def main() -> None:
    result = run_cli(__doc__, options, chaos)
    healthy = (
        result["duplicate_orders"] == 0
        and result["lost_fills"] == 0
        and result["ledger_matches_venue"]
    )
    sys.exit(0 if healthy else 1)


if __name__ == "__main__":
    main()
