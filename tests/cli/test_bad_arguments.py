"""Bad command-line input: exit code 2, one line on stderr naming the field, no traceback,
and nothing sent anywhere (these fail before any connection is attempted)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HALF = "BTC/USDT=0.5,USDT=0.5"


def add(targets: str = HALF, *extra: str, account: str = "a1", venue: str = "paper") -> list[str]:
    return ["account", "add", account, "--venue", venue, "--targets", targets, *extra]


CASES = [
    (add(account="BAD"), "account_id"),
    (add("BTC/USDT=0.5,USDT=0.6"), "sum to exactly 1"),
    (add("BTC/USDT=0.5"), "quote currency"),
    (add("BTC/USDT=abc,USDT=1"), "--targets"),
    (add("BTC/USDT=-0.5,USDT=1.5"), "targets.BTC"),
    (add("BTC/USDT=NaN,USDT=1"), "targets.BTC"),
    (add("BTC/USDT=0.5,BTC/USDT=0.5"), "twice"),
    (add("BTC/USDT=0.5,ETH/EUR=0.2,USDT=0.3"), "more than one currency"),
    (add(venue="Bad Venue!"), "venue"),
    # A real ccxt exchange without a venue profile: its client ids could not be found again.
    (add(venue="bitstamp"), "--venue: 'bitstamp' is not a supported venue"),
    (add(venue="kraken2"), "--venue"),
    (add(HALF, "--check-every", "5x"), "--check-every"),
    (add(HALF, "--check-every", "0s"), "--check-every"),
    (add(HALF, "--policy", "{oops"), "--policy"),
    (add(HALF, "--policy", '{"band": 2}'), "policy.band"),
    (add(HALF, "--policy", '{"sizing": "band_edge", "band": "0"}'), "band"),
    (["account", "targets", "a1", "BTC/USDT=x"], "targets"),
    (["schedule", "create", "Bad Id", "--cron", "* * * * *"], "account_id"),
    (["demo", "--accounts", "0"], "--accounts"),
    (["demo", "--minutes", "-1"], "--minutes"),
    (["dev", "up", "--temporal-port", "notaport"], "--temporal-port"),
    # The venue's clock is the wall clock times the speed: at 1e10 it stopped answering
    # seconds in. dev up handed any text to the venue process, whose log alone said no.
    (["paper-venue", "--speed", "1e10"], "--speed"),
    (["paper-venue", "--speed", "0"], "--speed"),
    (["dev", "up", "--speed", "abc"], "--speed"),
    (["dev", "up", "--speed", "1e10"], "--speed"),
    (["plan", "--snapshot", "/nonexistent.json"], "--snapshot"),
    # Hostile input (the issue's own cases): each used to dial Temporal, or worse.
    (["account", "targets", "x", "BTC/USDT=1.5,USDT=-0.5"], "targets.BTC"),
    (["account", "targets", "x", "BTC/USDT=NaN,USDT=1"], "targets.BTC"),
    (["account", "targets", "x", "BTC/USDT=0.6,USDT=0.6"], "sum to exactly 1"),
    (["account", "targets", "x y", "BTC/USDT=0.5,USDT=0.5"], "account_id"),
    (["account", "targets", "../x", "BTC/USDT=0.5,USDT=0.5"], "account_id"),
    (["account", "targets", "a" * 500, "BTC/USDT=0.5,USDT=0.5"], "account_id"),
    (["account", "pause", "a/../b"], "account_id"),
    (["schedule", "create", "a1", "--cron", "not a cron"], "--cron"),
    (["plan", "--snapshot", "/dev/zero"], "--snapshot"),
]


@pytest.mark.parametrize(
    ("argv", "named"), CASES, ids=[" ".join(a[:20] for a in c[0][:3]) + f" [{c[1]}]" for c in CASES]
)
def test_bad_argument_is_refused_in_one_line(argv: list[str], named: str) -> None:
    # Temporal is unreachable on purpose: none of these may get as far as connecting.
    line = refused_line(argv, {**os.environ, "REBALANCER_TEMPORAL_ADDRESS": "127.0.0.1:1"})
    assert named in line


def refused_line(argv: list[str], env: dict[str, str]) -> str:
    """The one line ``rebalancer *argv`` refuses with (exit 2, no traceback, no connection)."""
    result = subprocess.run(
        [sys.executable, "-m", "rebalancer", *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=env,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("rebalancer")]
    assert len(lines) == 1, result.stderr
    assert "cannot reach Temporal" not in result.stderr
    return lines[0]


def test_unreachable_temporal_is_one_clear_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rebalancer", "account", "status", "a1"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "REBALANCER_TEMPORAL_ADDRESS": "127.0.0.1:1"},
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "REBALANCER_TEMPORAL_ADDRESS" in result.stderr
