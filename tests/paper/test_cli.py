"""``rebalancer paper-venue``: refusals are one line with exit code 2; SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import json
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rebalancer.cli import build_parser, main
from rebalancer.cli.paper_venue import settings_from
from rebalancer.devstack.stack import venue_argv
from rebalancer.domain.errors import InvalidInput
from rebalancer.paper.admin_client import PaperAdmin
from rebalancer.paper.admin_token import TOKEN_ENV, default_token_file
from rebalancer.runtime.ports import free_port
from tests.paper_venue_fixtures import start_paper_venue, stop_paper_venue


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--api-key", "k"], "--api-key: needs its secret in REBALANCER_PAPER_API_SECRET"),
        (["--balances", "USDT=1"], "--balances: needs --api-key"),
        (["--api-key", "k", "--balances", "USDT=lots"], "--balances"),
        (["--api-key", "k", "--balances", "USDT=-5"], "non-negative"),
        (["--api-key", "k", "--balances", "USDT=1e999999999"], "--balances: amount of USDT"),
        (["--api-key", "k", "--balances", "USDT=1e31"], "--balances: amount of USDT"),
        (["--api-key", "k", "--balances", "ÄÖ=1"], "--balances: 'ÄÖ=1' is not ASSET=AMOUNT"),
        (
            ["--api-key", "k", "--api-secret", "s"],
            "--api-secret: a secret on the command line is visible to every user (ps)",
        ),
        (["--api-key", "k", "--api-secret-file", "/nonexistent"], "--api-secret-file: cannot"),
        (["--accounts-file", "/nonexistent/accounts.json"], "--accounts-file: cannot read"),
        (["--start", "2022-01-01"], "--start: only applies to --scenario replay"),
        (["--data", "/nonexistent"], "--data: /nonexistent is not a folder"),
    ],
)
def test_bad_settings_end_in_one_line(
    arguments: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REBALANCER_PAPER_API_SECRET", raising=False)
    if "--balances" in arguments and "--api-key" in arguments:
        monkeypatch.setenv("REBALANCER_PAPER_API_SECRET", "s")
    assert main(["paper-venue", *arguments]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert message in err[0]
    assert "Traceback" not in err[0]


def test_the_api_secret_comes_from_a_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REBALANCER_PAPER_API_SECRET", raising=False)
    path = tmp_path / "secret"
    path.write_text("from-the-file\n")
    args = build_parser().parse_args(
        ["paper-venue", "--api-key", "k", "--api-secret-file", str(path)]
    )
    assert settings_from(args).accounts[0].api_secret.get_secret_value() == "from-the-file"
    monkeypatch.setenv("REBALANCER_PAPER_API_SECRET", "from-the-env")
    args = build_parser().parse_args(["paper-venue", "--api-key", "k", "--balances", "USDT=1e30"])
    spec = settings_from(args).accounts[0]
    assert spec.api_secret.get_secret_value() == "from-the-env"
    assert spec.balances == {"USDT": Decimal("1e30")}
    path.write_text("\n")
    args = build_parser().parse_args(
        ["paper-venue", "--api-key", "k", "--api-secret-file", str(path)]
    )
    with pytest.raises(InvalidInput, match=r"--api-secret-file: .* is empty"):
        settings_from(args)


def test_a_bad_accounts_file_names_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "accounts.json"
    path.write_text(
        json.dumps(
            {
                "accounts": [
                    {"api_key": "k", "api_secret": "s3cr3t-value", "balances": {"BTC": "lots"}}
                ]
            }
        )
    )
    assert main(["paper-venue", "--accounts-file", str(path)]) == 2
    err = capsys.readouterr().err
    assert "--accounts-file: accounts.0.balances.BTC" in err
    assert "s3cr3t-value" not in err


@pytest.mark.parametrize(
    "arguments", [["--speed", "0"], ["--port", "70000"], ["--scenario", "nope"]]
)
def test_argparse_refuses_bad_values(
    arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["paper-venue", *arguments])
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_sigterm_stops_it_cleanly_and_a_busy_port_is_one_line(tmp_path: Path) -> None:
    venue = start_paper_venue(tmp_path)
    port = venue.base_url.rsplit(":", 1)[1]
    token_file = next(tmp_path.glob("*.token"))
    try:
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert token_file.read_text().strip() == venue.admin_token
        assert venue.admin("health")["status"] == "ok"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{venue.base_url}/admin/health", timeout=10)
        assert refused.value.code == 401
        assert venue.admin_token not in str(venue.process.args)
        clash = subprocess.run(
            [
                sys.executable,
                "-c",
                "from rebalancer.cli import run; run()",
                "paper-venue",
                "--port",
                port,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert clash.returncode == 2
        assert clash.stderr.strip().splitlines() == [
            f"rebalancer: error: --port: cannot listen on 127.0.0.1:{port}: Address already in use"
        ]
    finally:
        assert stop_paper_venue(venue.process) == 0
    assert not token_file.exists()
    log = next(tmp_path.glob("*.log")).read_text()
    assert "paper-venue stopped" in log
    assert "Traceback" not in log


def test_a_venue_started_like_the_dev_stack_is_reachable_by_url_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # dev.py, demo.py and the benchmarks pass no token: the venue's default token file,
    # per port under the state directory, is how their PaperAdmin finds it.
    monkeypatch.setenv("REBALANCER_STATE_DIR", str(tmp_path))
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    (tmp_path / "venue-accounts.json").write_text('{"accounts": []}')
    port = free_port()
    log = tmp_path / "venue.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            venue_argv(tmp_path, port, "calm", 1, "1"), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while "listening on" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        token_file = default_token_file(port)
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert asyncio.run(_health(f"http://127.0.0.1:{port}"))["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert not default_token_file(port).exists()


async def _health(url: str) -> dict[str, Any]:
    async with PaperAdmin(url) as admin:
        return await admin.health()
