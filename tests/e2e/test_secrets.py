"""A full demo leaves its API secrets nowhere: not in the Temporal histories (read back with
`temporal workflow show -o json`), not in any log, not on /metrics, not in its output."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from rebalancer.dev import bin_path, free_port

pytestmark = pytest.mark.e2e


def scrape(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            return str(response.read().decode())
    except (urllib.error.URLError, OSError):
        return None


def decoded(history_json: str) -> str:
    """The history with every payload's base64 ``data`` decoded next to it."""
    parts = [history_json]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "data" and isinstance(value, str):
                    with contextlib.suppress(ValueError):
                        parts.append(base64.b64decode(value).decode("utf-8", "replace"))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(history_json))
    return "\n".join(parts)


def temporal(*args: str) -> str:
    return subprocess.run(
        [str(bin_path("temporal")), *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def test_demo_leaves_no_secret_behind(tmp_path: Path) -> None:
    metrics_port = free_port()
    env = {
        **os.environ,
        "REBALANCER_STATE_DIR": str(tmp_path),
        "REBALANCER_METRICS_PORT": str(metrics_port),
    }
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rebalancer",
            "demo",
            "--accounts",
            "2",
            "--minutes",
            "0.4",
            "--json",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    scrapes: list[str] = []
    deadline = time.monotonic() + 300
    while demo.poll() is None and time.monotonic() < deadline:
        text = scrape(metrics_port)
        if text and "rebalance_drift_gauge{" in text:
            scrapes.append(text)
        time.sleep(2)
    stdout, stderr = demo.communicate(timeout=120)
    assert demo.returncode == 0, stderr[-2000:]
    summary = json.loads(stdout.splitlines()[-1])
    assert summary["orders_filled"] > 0
    assert scrapes, "the worker's /metrics was never scraped"

    state = tmp_path / "demo"
    credentials = json.loads((state / "credentials.json").read_text())["accounts"]
    secrets = [account["api_secret"] for account in credentials.values()]
    assert len(secrets) == 2
    assert all(len(secret) >= 32 for secret in secrets)

    # Read every workflow's history back through the CLI from the demo's own database.
    port = free_port()
    server = subprocess.Popen(
        [
            str(bin_path("temporal")),
            "server",
            "start-dev",
            "--headless",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--db-filename={state / 'temporal.db'}",
            "--log-level=error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        address = f"--address=127.0.0.1:{port}"
        for _ in range(100):
            try:
                listing = temporal("workflow", "list", "-o", "json", address)
                break
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        ids = {row["execution"]["workflowId"] for row in json.loads(listing or "[]")}
        assert {"account-demo-1", "account-demo-2"} <= ids
        histories = [
            decoded(temporal("workflow", "show", "-w", wid, "-o", "json", address))
            for wid in sorted(ids)
        ]
    finally:
        server.terminate()
        server.wait(30)
    assert all("detect_drift" in h for h in histories), "the histories hold the cycles"

    haystacks = {
        "demo stdout": stdout,
        "demo stderr": stderr,
        "metrics": "\n".join(scrapes),
        **{f"history {i}": h for i, h in enumerate(histories)},
        **{f"log {p.name}": p.read_text(errors="replace") for p in state.glob("*.log")},
        # The server's own database: every payload it ever stored, in any encoding it keeps.
        "temporal.db": (state / "temporal.db").read_bytes().decode("latin-1"),
    }
    for name, text in haystacks.items():
        for secret in secrets:
            assert secret not in text, f"a secret leaked into {name}"
