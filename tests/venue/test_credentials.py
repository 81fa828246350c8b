"""Credentials by account id, from the environment or a file; secrets never shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rebalancer.domain.errors import InvalidInput
from rebalancer.venue.ccxt_gateway import CcxtGateway
from rebalancer.venue.credentials import (
    MissingCredentials,
    env_prefix,
    open_gateway,
    resolve_credentials,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REBALANCER_CREDENTIALS_FILE", str(tmp_path / "none.json"))
    monkeypatch.delenv("REBALANCER_PAPER_VENUE_URL", raising=False)


def write(path: Path, accounts: dict[str, object]) -> Path:
    path.write_text(json.dumps({"accounts": accounts}), encoding="utf-8")
    return path


def test_the_environment_names_the_account_in_upper_case_with_underscores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert env_prefix("desk-7.alpha") == "REBALANCER_DESK_7_ALPHA"
    monkeypatch.setenv("REBALANCER_DESK_7_ALPHA_API_KEY", "k-env")
    monkeypatch.setenv("REBALANCER_DESK_7_ALPHA_API_SECRET", "s-env-secret")
    found = resolve_credentials("desk-7.alpha")
    assert found.venue == "paper"
    assert found.api_key.get_secret_value() == "k-env"
    assert "s-env-secret" not in repr(found)
    assert "s-env-secret" not in str(found)


def test_half_a_pair_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REBALANCER_ALICE_API_KEY", "k")
    with pytest.raises(InvalidInput, match="REBALANCER_ALICE_API_SECRET"):
        resolve_credentials("alice")


def test_the_credentials_file_is_the_fallback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "credentials.json",
        {"alice": {"venue": "paper", "api_key": "k-file", "api_secret": "s-file-secret"}},
    )
    monkeypatch.setenv("REBALANCER_CREDENTIALS_FILE", str(path))
    found = resolve_credentials("alice")
    assert (found.venue, found.api_secret.get_secret_value()) == ("paper", "s-file-secret")
    with pytest.raises(MissingCredentials) as missing:
        resolve_credentials("bob")
    assert "REBALANCER_BOB_API_KEY" in str(missing.value)
    assert str(path) in str(missing.value)


def test_a_malformed_file_names_the_place_not_the_secret(tmp_path: Path) -> None:
    path = write(tmp_path / "c.json", {"alice": {"api_key": "", "api_secret": "s-hidden"}})
    with pytest.raises(InvalidInput) as refused:
        resolve_credentials("alice", credentials_file=path)
    assert "accounts.alice.api_key" in str(refused.value)
    assert "s-hidden" not in str(refused.value)


def test_open_gateway_points_binance_at_the_paper_venue(tmp_path: Path) -> None:
    path = write(tmp_path / "c.json", {"alice": {"api_key": "k1", "api_secret": "s-top-secret"}})
    gateway = open_gateway(
        "alice", "paper", paper_url="http://127.0.0.1:9999/", credentials_file=path
    )
    assert isinstance(gateway, CcxtGateway)
    assert gateway.venue == "paper"
    assert repr(gateway) == "CcxtGateway(binance at http://127.0.0.1:9999, venue='paper')"
    assert "s-top-secret" not in repr(vars(gateway))
    with pytest.raises(InvalidInput, match="credentials for 'paper', not 'kraken'"):
        open_gateway("alice", "kraken", credentials_file=path)
