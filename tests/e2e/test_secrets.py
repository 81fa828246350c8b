"""A full demo leaves its API secrets nowhere: not in the Temporal histories (read back with
`temporal workflow show -o json`), not in any log, not on /metrics, not in its output.

The demo runs against a DATABASE_URL with a planted password, in the userinfo and as a query
parameter at once (the embedded server trusts local connections, so the planted password is
carried everywhere the DSN goes without being checked); that password must not show up
anywhere either, nor in dev-stack.json, `dev status` or a `db` command's output, which also
try the other forms (no user, percent-encoded name, libpq keywords). Files that hold secrets
are checked to be 0600 while the demo runs."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from rebalancer.devstack.stack import DevStack, bin_path
from rebalancer.ledger.embedded import start_embedded, stop_embedded
from rebalancer.runtime.ports import free_port

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


DB_PASSWORDS = {
    "userinfo": "Db-userinfo-pw-8f3a1c",
    "query": "Db-query-pw-27be90",
    "no-user": "Db-nouser-pw-5d4e11",
    "encoded-name": "Db-encoded-pw-c0ffee",
    "keyword": "Db-keyword-pw-9a9a9a",
}
SECRET_FILES = ("credentials.json", "venue-accounts.json", "dev-stack.json")


def planted_forms(dsn: str) -> dict[str, str]:
    """The embedded server's DSN (postgresql://postgres@/rebalancer?host=...&port=...) with a
    password planted in each form a DSN can carry one."""
    rest = dsn.removeprefix("postgresql://postgres@")
    host = rest.split("host=", 1)[1].split("&", 1)[0]
    return {
        "demo": (
            f"postgresql://postgres:{DB_PASSWORDS['userinfo']}@{rest}"
            f"&password={DB_PASSWORDS['query']}"
        ),
        "no-user": f"postgres://:{DB_PASSWORDS['no-user']}@{rest}",
        "encoded-name": f"{dsn}&pass%77ord={DB_PASSWORDS['encoded-name']}",
        "keyword": f"host={host} dbname=rebalancer password='{DB_PASSWORDS['keyword']}'",
    }


def cli_outputs(forms: dict[str, str], env: dict[str, str]) -> dict[str, str]:
    """`rebalancer db status` under each planted DATABASE_URL, in parallel: what it prints
    when it connects and, for forms the driver refuses, when it fails."""
    running = {
        name: subprocess.Popen(
            [sys.executable, "-m", "rebalancer", "db", "status"],
            env={**env, "DATABASE_URL": dsn},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, dsn in forms.items()
    }
    outputs = {f"db status ({name})": p.communicate(timeout=120)[0] for name, p in running.items()}
    assert "***" in outputs["db status (demo)"], outputs["db status (demo)"][-500:]
    return outputs


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def test_demo_leaves_no_secret_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Not tmp_path: pytest narrows its base directory to 0700 whenever a session starts,
    # which would lock a server run as another user (under root) out of its data.
    ledger_state = Path(tempfile.mkdtemp(prefix="rebalancer-e2e-pg-"))
    try:
        forms = planted_forms(start_embedded(ledger_state))
        run_demo_and_scan(tmp_path, forms, monkeypatch)
    finally:
        stop_embedded(ledger_state)
        shutil.rmtree(ledger_state, ignore_errors=True)


def run_demo_and_scan(
    tmp_path: Path, forms: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics_port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "REBALANCER_DATABASE_URL"},
        "REBALANCER_STATE_DIR": str(tmp_path),
        "REBALANCER_METRICS_PORT": str(metrics_port),
        "DATABASE_URL": forms["demo"],
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
    state = tmp_path / "demo"
    cli = cli_outputs(forms, env)
    scrapes: list[str] = []
    stack_files: list[str] = []
    modes: dict[str, bool] = {}
    # `dev status` as a shell with the same DATABASE_URL would print it.
    monkeypatch.setenv("DATABASE_URL", forms["demo"])
    deadline = time.monotonic() + 300
    while demo.poll() is None and time.monotonic() < deadline:
        text = scrape(metrics_port)
        if text and "rebalance_drift_gauge{" in text:
            scrapes.append(text)
        with contextlib.suppress(FileNotFoundError):
            stack_files.append((state / "dev-stack.json").read_text())
            stack_files.append(json.dumps(DevStack(state).status()))
            for name in SECRET_FILES:
                modes[name] = modes.get(name, True) and private(state / name)
        time.sleep(2)
    stdout, stderr = demo.communicate(timeout=120)
    assert demo.returncode == 0, stderr[-2000:]
    summary = json.loads(stdout.splitlines()[-1])
    assert summary["orders_filled"] > 0
    assert scrapes, "the worker's /metrics was never scraped"
    assert stack_files, "dev-stack.json was never read while the demo ran"
    assert modes == dict.fromkeys(SECRET_FILES, True), f"secret files not 0600: {modes}"

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
        histories = {
            wid: decoded(temporal("workflow", "show", "-w", wid, "-o", "json", address))
            for wid in sorted(ids)
        }
    finally:
        server.terminate()
        server.wait(30)
    # Every history is searched for secrets below, the venue's fleet watcher's too.
    assert "watch-paper" in histories
    accounts = [h for wid, h in histories.items() if wid.startswith("account-")]
    assert all("detect_drift" in h for h in accounts), "the histories hold the cycles"

    haystacks = {
        **cli,
        "dev-stack.json and dev status": "\n".join(stack_files),
        "demo stdout": stdout,
        "demo stderr": stderr,
        "metrics": "\n".join(scrapes),
        **{f"history of {wid}": h for wid, h in histories.items()},
        **{f"log {p.name}": p.read_text(errors="replace") for p in state.glob("*.log")},
        # The server's own database: every payload it ever stored, in any encoding it keeps.
        "temporal.db": (state / "temporal.db").read_bytes().decode("latin-1"),
    }
    for name, text in haystacks.items():
        for secret in secrets:
            assert secret not in text, f"a secret leaked into {name}"
        for form, password in DB_PASSWORDS.items():
            assert password not in text, f"the {form} database password leaked into {name}"
