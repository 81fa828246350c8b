"""The worker memory probe: loaded by ``site`` in a worker process only, and writes rows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

PROBE = Path(__file__).resolve().parents[2] / "benchmarks" / "memory_probe"
# Frozen objects survive a collection only until the probe's deep one unfreezes them.
PROCESS = "import gc, time; gc.freeze(); time.sleep(1.5)"


def _run(tmp_path: Path, role: str) -> list[dict[str, Any]]:
    out = tmp_path / "probe"
    (tmp_path / "probe.collect").touch()
    process = subprocess.run(
        [sys.executable, "-c", PROCESS, role],
        env={"PYTHONPATH": str(PROBE), "MEMORY_PROBE_OUT": str(out), "MEMORY_PROBE_EVERY": "0.4"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 0, process.stderr
    return [json.loads(line) for f in tmp_path.glob("probe.[0-9]*") for line in f.open()]


def test_a_worker_gets_one_deep_row_then_light_ones(tmp_path: Path) -> None:
    rows = _run(tmp_path, "worker")
    assert len(rows) >= 2
    deep, light = rows[0], rows[1]
    assert deep["frozen"] > 0
    assert deep["rss_mib"] > 0
    assert deep["live_objects"] > 0
    assert "builtins.dict" in deep["types"]
    assert set(light) == {"at", "rss_mib", "frozen"}
    assert not (tmp_path / "probe.collect").exists(), "the trigger is consumed"


def test_another_process_is_left_alone(tmp_path: Path) -> None:
    assert _run(tmp_path, "paper-venue") == []
