"""A benchmark stopped with SIGTERM runs its ``finally`` blocks (where the stack stops)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Stands in for a benchmark inside ``bench_stack``: the finally block is where the stack stops.
BENCHMARK = """
import asyncio, sys
from pathlib import Path
from benchmarks.harness import cancelled_by_sigterm

async def main() -> None:
    with cancelled_by_sigterm():
        try:
            print("running", flush=True)
            await asyncio.sleep(60)
        finally:
            Path(sys.argv[1]).write_text("stopped")

asyncio.run(main())
"""


def test_sigterm_runs_the_finally_blocks(tmp_path: Path) -> None:
    marker = tmp_path / "stopped"
    process = subprocess.Popen(
        [sys.executable, "-c", BENCHMARK, str(marker)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "running"
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        process.kill()
    assert marker.read_text() == "stopped"
