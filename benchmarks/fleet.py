"""A watched fleet end to end: N accounts, the venue's fleet watcher, every service here.

    python benchmarks/fleet.py [--accounts 1000] [--minutes 3] [--band 0.005] [--no-gate]
                               [--safety-check 172800] [--scenario calm] [--speed 1] [--json]

Accounts are watched (the default), each with its own slow safety check, on targets and
bands of their own (BTC 30-50%, ETH 20-35%, the rest cash; the band --band times 1 to 3;
a third of them sized jointly). The
watcher screens them every second at one shared price feed and wakes those whose drift
leaves their band. After the fleet has made its first checks, a window of --minutes is
measured:

- per safety check (the only thing an idle account does): Temporal actions, history bytes
  and worker CPU, from the histories and psutil; scaled to a day at the default interval
  (AccountConfig.safety_check_seconds, two days);
- the watcher's own actions per day, shared by the fleet;
- request weight the venue counted for this IP (``X-MBX-USED-WEIGHT-1M``), per account-hour;
- drift to cycle start: for every wake in the window, from the prices the watcher screened
  (the crossing happened at most one tick before) to the account's cycle starting (the
  workflow task after the signal), from the histories;
- worker RSS.

Run it twice: once with a short --safety-check, so that safety checks fall in the window to
be measured; once at the default, with a small --band, a fast --speed and --no-gate, so that
accounts leave their bands within minutes and every wake trades. Identical accounts would
all cross in the same second: that is a market-wide burst, which a fleet of accounts on
one target and one band meets (docs/performance.md says what it costs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from benchmarks.harness import bench_stack, console, percentile, run_cli
from benchmarks.scale import (
    ACTIONS,
    Sampler,
    fetch_histories,
    holdings_on,
    on_target_balances,
    start_fleet,
    venue_mids,
)
from rebalancer.devstack.stack import alive
from rebalancer.pipeline.messages import AccountConfig, WatchVenueRequest
from rebalancer.pipeline.names import watcher_id

DAY = 86_400
DEFAULT_SAFETY_SECONDS = AccountConfig.model_fields["safety_check_seconds"].default
TICK_SECONDS = 1.0
BAND_STEPS = (Decimal(1), Decimal("1.5"), Decimal(2), Decimal(3))


def fleet_configs(args: argparse.Namespace) -> list[AccountConfig]:
    """A fleet as fleets are: every account on targets and a band of its own, so that a
    price move takes them out of their bands over time, not all in the same second. The
    accounts are funded on the common TARGETS and trade to their own in their first check."""
    configs = []
    for index in range(args.accounts):
        btc = Decimal(30 + index % 21) / 100
        eth = Decimal(20 + (index // 21) % 16) / 100
        policy: dict[str, Any] = {
            "band": str(Decimal(str(args.band)) * BAND_STEPS[index % len(BAND_STEPS)]),
            "sizing": "joint" if index % 3 == 0 else "band_edge",
        }
        if args.no_gate:
            # Every wake then trades: the band alone decides, as with the default band.
            policy["cost_gate"] = False
        configs.append(
            AccountConfig.model_validate(
                {
                    "account_id": f"bench-{index:06d}",
                    "venue": "paper",
                    "targets": {"BTC": btc, "ETH": eth, "USDT": 1 - btc - eth},
                    "policy": policy,
                    "safety_check_seconds": args.safety_check,
                }
            )
        )
    return configs


async def own_target_balances(venue_url: str) -> Callable[[AccountConfig], dict[str, str]]:
    """Each account's holdings on its own targets at the venue's current mids: its first
    check then has nothing to trade, as an account that joins already invested has not."""
    mids = await venue_mids(venue_url)
    return lambda config: holdings_on(config.targets, mids)


async def wait_for_first_checks(dsn: str, accounts: int, limit_seconds: float) -> float:
    started = time.monotonic()
    connection = await asyncpg.connect(dsn)
    try:
        while time.monotonic() - started < limit_seconds:
            try:
                done = await connection.fetchval(
                    "SELECT count(DISTINCT account_id) FROM cycles WHERE ended_at IS NOT NULL"
                )
            except asyncpg.UndefinedTableError:
                # The worker migrates the ledger when it starts; a small fleet is funded
                # and started before it has.
                done = 0
            if done >= accounts:
                break
            await asyncio.sleep(2)
    finally:
        await connection.close()
    return time.monotonic() - started


async def sample_weight(venue_url: str, stop: asyncio.Event, samples: list[int]) -> None:
    """The venue's count of request weight for this IP in its current minute, every 5 s."""
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            async with session.get(f"{venue_url}/api/v3/ping") as response:
                used = response.headers.get("X-MBX-USED-WEIGHT-1M")
                if used is not None:
                    samples.append(int(used))
            await asyncio.sleep(5)


def _at(event: Any) -> float:
    return float(event.event_time.ToDatetime().replace(tzinfo=UTC).timestamp())


def safety_checks(histories: Sequence[WorkflowHistory]) -> tuple[int, int, int]:
    """Safety checks that ran to the next check's timer, and the actions and history bytes
    they wrote: each from its timer firing to the next timer started, inclusive (the fired
    timer, its workflow task, the look and the record, the next timer)."""
    checks = actions = size = 0
    for history in histories:
        events = history.events
        for index, event in enumerate(events):
            if event.event_type != EventType.EVENT_TYPE_TIMER_FIRED:
                continue
            end = next(
                (
                    j
                    for j in range(index + 1, len(events))
                    if events[j].event_type == EventType.EVENT_TYPE_TIMER_STARTED
                ),
                None,
            )
            if end is None:
                continue
            segment = events[index : end + 1]
            if any(
                e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED for e in segment
            ):
                continue
            checks += 1
            actions += sum(1 for e in segment if e.event_type in ACTIONS)
            size += sum(e.ByteSize() for e in segment)
    return checks, actions, size


def checks_started(histories: Sequence[WorkflowHistory], start: float, end: float) -> int:
    """Check timers that fired in the window: the checks whose CPU the window holds."""
    return sum(
        1
        for history in histories
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_TIMER_FIRED and start <= _at(event) < end
    )


def wake_latencies(histories: Sequence[WorkflowHistory], start: float, end: float) -> list[float]:
    """Per wake signal in the window: seconds from the prices the watcher screened to the
    workflow task that started the account's cycle."""
    latencies: list[float] = []
    for history in histories:
        seen: float | None = None
        for event in history.events:
            kind = event.event_type
            if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
                attributes = event.workflow_execution_signaled_event_attributes
                if attributes.signal_name != "wake":
                    continue
                payload = json.loads(attributes.input.payloads[0].data)
                moment = datetime.fromisoformat(payload["seen_at"]).timestamp()
                if start <= moment < end:
                    seen = moment
            elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED and seen is not None:
                latencies.append(_at(event) - seen)
                seen = None
    return latencies


async def run(args: argparse.Namespace) -> dict[str, Any]:
    configs = fleet_configs(args)
    # Onboarding a thousand accounts at once would spend the venue's real budget on
    # registration; the window below reports what the steady state asks of it.
    venue_args = ["--weight-limit=100000000", "--orders-limit=10000000"]
    async with bench_stack(
        [],
        {},
        scenario=args.scenario,
        speed=str(args.speed),
        venue_args=venue_args,
        keep=args.keep,
    ) as bench:
        bench.configs = configs
        if args.funded_on_own_targets:
            funding = await own_target_balances(bench.record.venue_url)
            console.print(f"funding {args.accounts} paper accounts on their own targets ...")
            await bench.add_paper_accounts(configs, funding)
        else:
            balances = await on_target_balances(bench.record.venue_url)
            console.print(f"funding {args.accounts} paper accounts on target ...")
            await bench.add_paper_accounts(configs, balances)
        bench.start_worker()
        console.print(f"starting {args.accounts} watched account workflows ...")
        await start_fleet(bench)
        waited = await wait_for_first_checks(
            bench.record.database_url, args.accounts, args.onboarding_limit
        )
        console.print(f"first checks done in {waited:.0f}s; measuring {args.minutes} min ...")
        record = bench.stack.record()
        assert record is not None
        pids = {p.name: p.pid for p in record.processes if alive(p)}
        sampler = Sampler({k: v for k, v in pids.items() if k.startswith(("worker", "temporal"))})
        stop = asyncio.Event()
        weights: list[int] = []
        tasks = [
            asyncio.create_task(sampler.run(stop)),
            asyncio.create_task(sample_weight(bench.record.venue_url, stop, weights)),
        ]
        window_start = time.time()
        try:
            await asyncio.sleep(args.minutes * 60)
        finally:
            # Also when stopped: the samplers end while the stack they read is still up.
            window_end = time.time()
            stop.set()
            await asyncio.gather(*tasks)
        histories = await fetch_histories(bench)
        if args.keep:
            for handle, history in zip(bench.handles.values(), histories, strict=True):
                (bench.state / f"{handle.id}.history.json").write_text(history.to_json())
        watcher = await bench.client.get_workflow_handle(watcher_id("paper")).fetch_history()
    seconds = window_end - window_start
    checks, check_actions, check_bytes = safety_checks(histories)
    latencies = wake_latencies(histories, window_start, window_end)
    worker = next(name for name in sampler.cpu if name.startswith("worker"))
    worker_cpu = sum(sampler.cpu[worker]) / max(len(sampler.cpu[worker]), 1) / 100
    checks_in_window = checks_started(histories, window_start, window_end)
    watcher_actions = sum(1 for e in watcher.events if e.event_type in ACTIONS)
    # One hour-long watch a run, one new run a day: a rate, not this window's few events.
    watcher_actions_per_day = DAY / WatchVenueRequest.model_fields["run_seconds"].default + 1
    per_day = DAY / DEFAULT_SAFETY_SECONDS
    actions_per_check = check_actions / max(checks, 1)
    bytes_per_check = check_bytes / max(checks, 1)
    # An upper bound: the window's worker CPU, the watcher's and the wakes' included.
    cpu_per_check_ms = worker_cpu * seconds / max(checks_in_window, 1) * 1000
    # The venue counts weight per minute: samples a minute into the window see no onboarding.
    steady = weights[12:] or weights
    minute_weight = max(steady, default=0)
    return {
        "accounts": args.accounts,
        "window_seconds": round(seconds),
        "safety_check_seconds": args.safety_check,
        "band": args.band,
        "cost_gate": not args.no_gate,
        "scenario": args.scenario,
        "speed": args.speed,
        "onboarding_seconds": round(waited),
        "funded_on_own_targets": args.funded_on_own_targets,
        "safety_checks_measured": checks,
        "actions_per_safety_check": round(actions_per_check, 2),
        "history_bytes_per_safety_check": round(bytes_per_check),
        "checks_in_window": checks_in_window,
        "worker_cpu_ms_per_check": round(cpu_per_check_ms, 1) if checks_in_window else None,
        "at_default_safety_interval": {
            "safety_check_seconds": DEFAULT_SAFETY_SECONDS,
            "actions_per_idle_account_per_day": round(
                actions_per_check * per_day + watcher_actions_per_day / 100_000, 3
            ),
            "history_bytes_per_idle_account_per_day": round(bytes_per_check * per_day),
            "worker_cpu_ms_per_idle_account_per_day_checks": round(cpu_per_check_ms * per_day, 1),
        },
        "watcher_actions_in_history": watcher_actions,
        "watcher_actions_per_day": round(watcher_actions_per_day),
        "venue_weight_per_minute_max": minute_weight,
        "venue_weight_per_account_per_hour": round(minute_weight * 60 / args.accounts, 3),
        "wakes": len(latencies),
        "drift_to_cycle_start_p50_ms": round(percentile(latencies, 50) * 1000)
        if latencies
        else None,
        "drift_to_cycle_start_p99_ms": round(percentile(latencies, 99) * 1000)
        if latencies
        else None,
        "drift_to_cycle_start_p99_with_tick_ms": round(
            (percentile(latencies, 99) + TICK_SECONDS) * 1000
        )
        if latencies
        else None,
        "worker_rss_mib": round(max(sampler.rss[worker], default=0), 1),
        "worker_cpu_percent": round(worker_cpu * 100, 1),
        "temporal_cpu_percent": round(
            sum(sampler.cpu.get("temporal", [0])) / max(len(sampler.cpu.get("temporal", [])), 1),
            1,
        ),
    }


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--band", type=float, default=0.005)
    parser.add_argument("--safety-check", type=int, default=DEFAULT_SAFETY_SECONDS)
    parser.add_argument("--no-gate", action="store_true", help="policy without its cost gate")
    parser.add_argument("--scenario", default="calm")
    parser.add_argument("--speed", type=float, default=1)
    parser.add_argument("--onboarding-limit", type=float, default=900)
    parser.add_argument(
        "--funded-on-own-targets",
        action="store_true",
        help="fund each account on its own targets (first checks trade nothing)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the state directory (logs)")


def main() -> None:
    run_cli(__doc__, options, run)


if __name__ == "__main__":
    main()
