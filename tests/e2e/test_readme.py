"""README.md's "Running it yourself", run verbatim: a newcomer's commands, line by line.

From nothing to a funded paper account that trades, on the embedded stack at its default
ports, in a private state directory. A line ending in `&` runs in the background (the
worker). After `account add`, the account must trade before the next line runs. A bad step
(an account without keys) must fail in one line naming the cause.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
BIN = Path(sys.executable).parent


def readme_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- run-yourself -->\n```\n(.*?)```\n<!-- /run-yourself -->", text, re.S)
    assert block is not None, "README.md has no run-yourself block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def _env(state: Path) -> dict[str, str]:
    # The newcomer's shell: none of this machine's rebalancer settings, our virtualenv first.
    env = {k: v for k, v in os.environ.items() if not k.startswith("REBALANCER_")}
    env.pop("DATABASE_URL", None)
    env["REBALANCER_STATE_DIR"] = str(state)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(line: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=240
    )


def _trades(env: dict[str, str], account: str, seconds: float = 120) -> dict[str, object]:
    status: dict[str, object] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = _run(f"rebalancer account status {account} --json", env)
        if result.returncode == 0:
            status = json.loads(result.stdout)
            totals = status.get("totals")
            if isinstance(totals, dict) and totals.get("orders_filled", 0) >= 1:
                return status
        time.sleep(1)
    raise AssertionError(f"{account} did not trade in {seconds}s; last status: {status}")


def test_the_readme_takes_a_newcomer_to_an_account_that_trades(tmp_path: Path) -> None:
    lines = readme_commands()
    assert lines[0] == "rebalancer dev up"
    assert lines[-1] == "rebalancer dev down"
    env = _env(tmp_path / "state")
    background: list[subprocess.Popen[bytes]] = []
    ran_down = False
    try:
        for line in lines:
            if line.endswith("&"):
                log = (tmp_path / f"background-{len(background)}.log").open("wb")
                background.append(
                    subprocess.Popen(
                        ["bash", "-c", line.removesuffix("&").strip()],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
                continue
            result = _run(line, env)
            assert result.returncode == 0, f"`{line}` failed:\n{result.stdout}\n{result.stderr}"
            assert "Traceback" not in result.stderr, result.stderr
            ran_down = ran_down or line == "rebalancer dev down"
            if line.startswith("rebalancer account add acct-1"):
                assert "registered" in result.stdout
                status = _trades(env, "acct-1")
                assert status["state"] != "needs_attention"
                # A bad step: no paper account (no keys) for this one. One line, the cause.
                bad = _run(
                    "rebalancer account add acct-nokeys --venue paper "
                    "--targets BTC/USDT=0.5,USDT=0.5",
                    env,
                )
                assert bad.returncode != 0
                assert bad.stdout == ""
                assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr
                assert "no credentials for account 'acct-nokeys'" in bad.stderr
            if line == "rebalancer account list":
                assert "acct-1" in result.stdout
                assert "acct-nokeys" in result.stdout, "an account needing attention is listed"
    finally:
        for process in background:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        if not ran_down:
            _run("rebalancer dev down", env)
