"""pytest plugin: the paper venue as its own process, shared by the whole session.

``paper_venue`` starts ``rebalancer paper-venue`` on a free loopback port with a known seed,
the calm scenario and two accounts, waits until ``/admin/health`` answers, yields a
``PaperVenueProcess`` and stops the process (SIGTERM) at the end of the session.

Limits are generous by default so that unrelated tests sharing the venue never trip them;
a test that changes faults or limits uses ``paper_faults`` (restores the defaults after).
Tests that need clean balances create their own account with ``new_account``.

The venue's admin token is passed in ``REBALANCER_PAPER_ADMIN_TOKEN`` (never on argv), and
the session fixture sets that variable in this process too, so a ``PaperAdmin`` built from
the venue's URL alone finds it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rebalancer.devstack.stack import PaperAccount
from rebalancer.paper.admin_token import TOKEN_ENV

SEED = 42
SCENARIO = "calm"
WEIGHT_LIMIT = 1_000_000
ORDERS_LIMIT = 10_000
DEFAULT_FAULTS: dict[str, Any] = {
    "latency_ms": 0,
    "latency_jitter_ms": 0,
    "ambiguous_probability": 0,
    "ambiguous_mode": "error",
    "error_probability": 0,
    "maintenance_every_seconds": 0,
    "maintenance_duration_seconds": 0,
    "maintenance": False,
    "ambiguous_next_orders": 0,
    "weight_limit": WEIGHT_LIMIT,
    "weight_window": 60,
    "orders_limit": ORDERS_LIMIT,
    "ban_after": 10,
    "ban_seconds": 120,
    "reset_limits": True,
}
ACCOUNTS: list[dict[str, Any]] = [
    {
        "account_id": "paper-alice",
        "api_key": "alice-key",
        "api_secret": "alice-secret",
        "balances": {"USDT": "1000000", "BTC": "10", "ETH": "100", "LINK": "10000"},
    },
    {
        "account_id": "paper-bob",
        "api_key": "bob-key",
        "api_secret": "bob-secret",
        "balances": {"USDT": "100000"},
    },
]
_LISTENING = re.compile(r"listening on (http://\S+)")


@dataclass
class PaperVenueProcess:
    base_url: str
    accounts: list[PaperAccount]
    process: subprocess.Popen[str]
    admin_token: str = field(default="", repr=False)

    def __iter__(self) -> Iterator[Any]:
        """Unpacks as ``base_url, accounts``."""
        return iter((self.base_url, self.accounts))

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """GET (no body) or POST (JSON body) an /admin endpoint; the decoded JSON answer."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base_url}/admin/{path.lstrip('/')}",
            data=data,
            method="POST" if data is not None else "GET",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.admin_token}",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def set_faults(self, **changes: Any) -> Any:
        return self.admin("faults", changes)

    def reset_faults(self) -> Any:
        return self.admin("faults", DEFAULT_FAULTS)

    def new_account(self, balances: dict[str, str], prefix: str = "t") -> PaperAccount:
        """A fresh account with its own random key and secret."""
        tag = uuid.uuid4().hex[:12]
        account = PaperAccount(f"{prefix}-{tag}", f"{prefix}-key-{tag}", f"secret-{tag}", balances)
        self.admin(
            "accounts",
            {
                "account_id": account.account_id,
                "api_key": account.api_key,
                "api_secret": account.api_secret,
                "balances": balances,
            },
        )
        return account

    def orders(self, account: str, symbol: str | None = None) -> list[dict[str, Any]]:
        """Every order the venue accepted for ``account`` (id or API key)."""
        query = f"?symbol={symbol}" if symbol else ""
        result: list[dict[str, Any]] = self.admin(f"accounts/{account}/orders{query}")["orders"]
        return result


def _wait_for_url(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise RuntimeError(f"paper venue exited with {process.returncode}")
            continue
        match = _LISTENING.search(line)
        if match:
            return match.group(1)
    raise RuntimeError("paper venue did not start listening in time")


def _wait_for_health(url: str, token: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(
        f"{url}/admin/health", headers={"Authorization": f"Bearer {token}"}
    )
    while True:
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def start_paper_venue(
    workdir: Path, *extra: str, accounts: list[dict[str, Any]] | None = None
) -> PaperVenueProcess:
    """Start ``rebalancer paper-venue`` on a free port; the caller stops it."""
    accounts_file = workdir / f"paper-accounts-{uuid.uuid4().hex[:8]}.json"
    chosen = accounts if accounts is not None else ACCOUNTS
    token = os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(32)
    accounts_file.write_text(json.dumps({"accounts": chosen}), encoding="utf-8")
    command = [
        sys.executable,
        "-c",
        "from rebalancer.cli import run; run()",
        "paper-venue",
        "--port",
        "0",
        "--seed",
        str(SEED),
        "--scenario",
        SCENARIO,
        "--accounts-file",
        str(accounts_file),
        "--weight-limit",
        str(WEIGHT_LIMIT),
        "--orders-limit",
        str(ORDERS_LIMIT),
        # Here rather than in the user's state directory.
        "--admin-token-file",
        str(workdir / f"{accounts_file.stem}.token"),
        *extra,
    ]
    # stderr goes to a file: a pipe nobody drains could fill up and stall the server.
    log = (workdir / f"{accounts_file.stem}.log").open("w", encoding="utf-8")
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", TOKEN_ENV: token},
    )
    log.close()
    try:
        url = _wait_for_url(process, 30)
        _wait_for_health(url, token, 10)
    except Exception:
        stop_paper_venue(process)
        raise
    return PaperVenueProcess(
        base_url=url,
        accounts=[
            PaperAccount(a["account_id"], a["api_key"], a["api_secret"], a["balances"])
            for a in chosen
        ],
        process=process,
        admin_token=token,
    )


def stop_paper_venue(process: subprocess.Popen[str]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()
    return process.returncode


@pytest.fixture(scope="session")
def paper_venue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperVenueProcess]:
    venue = start_paper_venue(tmp_path_factory.mktemp("paper-venue"))
    environment = pytest.MonkeyPatch()
    environment.setenv(TOKEN_ENV, venue.admin_token)
    try:
        yield venue
    finally:
        environment.undo()
        stop_paper_venue(venue.process)


@pytest.fixture
def paper_faults(paper_venue: PaperVenueProcess) -> Iterator[PaperVenueProcess]:
    """The shared venue, with faults and limits restored to the defaults after the test."""
    paper_venue.reset_faults()
    try:
        yield paper_venue
    finally:
        paper_venue.reset_faults()
