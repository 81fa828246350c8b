"""Backtest speed: the standard backtest commands, timed as whole processes.

    python benchmarks/backtest_speed.py [--runs N] [--only default,policies,frontier]

Each command is ``python -m rebalancer backtest ... --json --no-progress``, started fresh
(imports, data loading and worker processes included). Wall time is a monotonic clock
around the process; CPU time is the user + system time of the process and every worker it
waited for (``RUSAGE_CHILDREN``), so CPU above wall means the workers ran in parallel.
With ``--runs`` above 1 the median run is reported.

Every command's result is also reduced to a digest of its JSON (sha256, wall-clock fields
excluded): two versions of the code whose digests agree gave the same figures, to the
last digit. The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

POLICIES = ("calendar", "threshold", "band_edge", "seed", "cost_aware")
# One year of real bars for the per-policy runs; the full run replays all of the data.
YEAR = ("--start", "2021-01-01", "--end", "2021-12-31")
FRONTIER = (
    "--start",
    "2021-07-01",
    "--end",
    "2021-12-31",
    "--frontier",
    "--tune",
    "2021-01-01:2021-06-30",
)
# Keys of the JSON that say how the run went rather than what it found.
NOT_RESULTS = frozenset({"workers", "wall_seconds", "elapsed_seconds"})


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float
    digest: str


def run(args: list[str]) -> Timing:
    command = [sys.executable, "-m", "rebalancer", "backtest", *args, "--json", "--no-progress"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    document = json.loads(done.stdout.strip().splitlines()[-1])
    return Timing(wall, cpu, digest(document))


def digest(document: Any) -> str:
    """sha256 of the document's results: keys sorted, wall-clock fields left out."""

    def results(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: results(v) for k, v in value.items() if k not in NOT_RESULTS}
        if isinstance(value, list):
            return [results(v) for v in value]
        return value

    text = json.dumps(results(document), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def measured(args: list[str], runs: int) -> dict[str, Any]:
    timings = [run(args) for _ in range(runs)]
    digests = {t.digest for t in timings}
    if len(digests) != 1:
        raise SystemExit(f"{args}: the same command gave different results {digests}")
    return {
        "command": "rebalancer backtest " + " ".join([*args, "--json", "--no-progress"]),
        "wall_seconds": round(statistics.median(t.wall for t in timings), 2),
        "cpu_seconds": round(statistics.median(t.cpu for t in timings), 2),
        "runs": runs,
        "digest": timings[0].digest,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs of each command (median)")
    parser.add_argument(
        "--only",
        default="default,policies,frontier",
        help="any of default (the full run), policies (each alone, 2021), frontier (tuned)",
    )
    args = parser.parse_args()
    chosen = {part.strip() for part in args.only.split(",") if part.strip()}
    report: dict[str, Any] = {"cores": os.cpu_count()}
    if "default" in chosen:
        report["default"] = measured([], args.runs)
    if "policies" in chosen:
        report["policies"] = {
            name: measured([*YEAR, "--policies", name, "--jobs", "1"], args.runs)
            for name in POLICIES
        }
    if "frontier" in chosen:
        report["frontier"] = measured(list(FRONTIER), args.runs)
    for name, figures in report.items():
        if isinstance(figures, dict) and "wall_seconds" in figures:
            print(f"{name}: {figures['wall_seconds']} s wall, {figures['cpu_seconds']} s CPU")
        elif isinstance(figures, dict):
            for policy, each in figures.items():
                print(
                    f"{name} {policy}: {each['wall_seconds']} s wall, {each['cpu_seconds']} s CPU"
                )
    print(json.dumps(report, separators=(",", ":")))


if __name__ == "__main__":
    main()
