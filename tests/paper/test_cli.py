"""``rebalancer paper-venue``: refusals are one line with exit code 2; SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rebalancer.cli import main
from tests.paper_venue_fixtures import start_paper_venue, stop_paper_venue


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--api-key", "k"], "--api-key: --api-key and --api-secret come together"),
        (["--balances", "USDT=1"], "--balances: needs --api-key and --api-secret"),
        (["--api-key", "k", "--api-secret", "s", "--balances", "USDT=lots"], "--balances"),
        (["--api-key", "k", "--api-secret", "s", "--balances", "USDT=-5"], "non-negative"),
        (["--accounts-file", "/nonexistent/accounts.json"], "--accounts-file: cannot read"),
        (["--start", "2022-01-01"], "--start: only applies to --scenario replay"),
        (["--data", "/nonexistent"], "--data: /nonexistent is not a folder"),
    ],
)
def test_bad_settings_end_in_one_line(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["paper-venue", *arguments]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert message in err[0]
    assert "Traceback" not in err[0]


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
    try:
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
    log = next(tmp_path.glob("*.log")).read_text()
    assert "paper-venue stopped" in log
    assert "Traceback" not in log
