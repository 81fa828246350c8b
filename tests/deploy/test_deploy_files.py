"""The files under deploy/: they parse, the scripts are valid sh, the paper keys agree."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rebalancer.paper.account_specs import AccountSpec, parse_accounts
from rebalancer.venue.credentials import CredentialsFile
from tests.deploy.compose_model import command, environment, option, resolve, services
from tests.deploy.stack_files import REPO, compose, load_yaml

DEPLOY = REPO / "deploy"


def paper_key_problems(accounts: list[AccountSpec], credentials: CredentialsFile) -> list[str]:
    """Every paper credential the worker holds opens an account on the paper venue."""
    by_id = {spec.id: spec for spec in accounts}
    problems = []
    for account_id, creds in credentials.accounts.items():
        if creds.venue != "paper":
            problems.append(f"{account_id}: venue {creds.venue}, expected paper")
            continue
        spec = by_id.get(account_id)
        if spec is None:
            problems.append(f"{account_id}: not an account on the paper venue")
        elif (spec.api_key, spec.api_secret.get_secret_value()) != (
            creds.api_key.get_secret_value(),
            creds.api_secret.get_secret_value(),
        ):
            problems.append(f"{account_id}: key or secret differs from the paper venue's")
    return problems


def _paper_files() -> tuple[Path, Path]:
    """The venue's accounts file and the worker's credentials file, as compose mounts them."""
    data = compose()
    venue, worker = services(data)["paper-venue"], services(data)["worker"]
    accounts = resolve(data, venue, str(option(command(venue), "--accounts-file")))
    credentials = resolve(data, worker, environment(worker)["REBALANCER_CREDENTIALS_FILE"])
    assert isinstance(accounts, Path)
    assert isinstance(credentials, Path)
    return accounts, credentials


@pytest.fixture
def paper() -> tuple[list[AccountSpec], CredentialsFile]:
    accounts_file, credentials_file = _paper_files()
    accounts = parse_accounts(accounts_file.read_text(encoding="utf-8"))
    credentials = CredentialsFile.model_validate_json(credentials_file.read_text(encoding="utf-8"))
    return accounts, credentials


def test_yaml_files_parse() -> None:
    files = sorted(DEPLOY.rglob("*.y*ml"))
    assert len(files) >= 4
    for file in files:
        assert isinstance(load_yaml(file), dict), file


def test_temporal_dynamic_config_shape() -> None:
    service = services(compose())["temporal"]
    path = environment(service)["DYNAMIC_CONFIG_FILE_PATH"]
    config: dict[str, Any] = load_yaml(DEPLOY / "temporal" / "dynamicconfig" / Path(path).name)
    assert config
    for key, values in config.items():
        assert "." in key, key
        assert isinstance(values, list), key
        assert values
        for entry in values:
            assert set(entry) <= {"value", "constraints"}, key
            assert "value" in entry, key


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX sh")
def test_scripts_are_valid_sh() -> None:
    scripts = sorted(DEPLOY.rglob("*.sh"))
    assert len(scripts) == 2
    for script in scripts:
        raw = script.read_bytes()
        assert raw.startswith(b"#!/bin/sh\n"), script
        assert b"\r\n" not in raw, f"{script} has CRLF line endings"
        result = subprocess.run(["sh", "-n", str(script)], capture_output=True, check=False)
        assert result.returncode == 0, result.stderr.decode()


def test_paper_credentials_open_paper_accounts(
    paper: tuple[list[AccountSpec], CredentialsFile],
) -> None:
    accounts, credentials = paper
    assert set(credentials.accounts) == {"demo-1", "demo-2"}
    assert paper_key_problems(accounts, credentials) == []


def test_paper_key_mismatch_is_found(paper: tuple[list[AccountSpec], CredentialsFile]) -> None:
    accounts, credentials = paper
    raw = {
        name: {
            "venue": creds.venue,
            "api_key": creds.api_key.get_secret_value(),
            "api_secret": creds.api_secret.get_secret_value(),
        }
        for name, creds in credentials.accounts.items()
    }
    raw["demo-1"]["api_secret"] = "other"
    raw["demo-3"] = {**raw["demo-2"]}
    raw["demo-2"]["venue"] = "binance"
    broken = CredentialsFile.model_validate({"accounts": raw})
    problems = paper_key_problems(accounts, broken)
    assert any(p.startswith("demo-1: key or secret differs") for p in problems)
    assert any(p.startswith("demo-2: venue binance") for p in problems)
    assert any(p.startswith("demo-3: not an account") for p in problems)
