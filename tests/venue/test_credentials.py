"""Credentials by account id, from the environment or a file; secrets never shown."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebalancer.domain.errors import InvalidInput
from rebalancer.runtime.config import setting_env_names
from rebalancer.venue.ccxt_gateway import CcxtGateway
from rebalancer.venue.credentials import (
    ACCOUNT_ID,
    SUFFIXES,
    MissingCredentials,
    account_id_of,
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


def test_the_environment_names_the_account_in_upper_case_with_escapes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert env_prefix("desk-7_alpha") == "REBALANCER_DESK_H7__ALPHA"
    monkeypatch.setenv("REBALANCER_DESK_H7__ALPHA_API_KEY", "k-env")
    monkeypatch.setenv("REBALANCER_DESK_H7__ALPHA_API_SECRET", "s-env-secret")
    found = resolve_credentials("desk-7_alpha")
    assert found.venue == "paper"
    assert found.api_key.get_secret_value() == "k-env"
    assert "s-env-secret" not in repr(found)
    assert "s-env-secret" not in str(found)


def test_hyphen_and_underscore_never_share_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: both read REBALANCER_ALICE_MAIN_*, so one account traded with the other's keys.
    assert env_prefix("alice-main") != env_prefix("alice_main")
    monkeypatch.setenv(f"{env_prefix('alice_main')}_API_KEY", "k-underscore")
    monkeypatch.setenv(f"{env_prefix('alice_main')}_API_SECRET", "s-underscore")
    assert resolve_credentials("alice_main").api_key.get_secret_value() == "k-underscore"
    with pytest.raises(MissingCredentials):
        resolve_credentials("alice-main")


def test_a_variable_under_the_old_name_is_pointed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REBALANCER_ALICE_MAIN_API_KEY", "k-old")
    with pytest.raises(MissingCredentials, match="REBALANCER_ALICE_MAIN_API_KEY is set but no"):
        resolve_credentials("alice-main")


def test_mixed_runs_of_separators_stay_apart() -> None:
    # Writing "-" as "_" and "_" as "__" would give A___B for both.
    assert env_prefix("a-_b") != env_prefix("a_-b")
    assert env_prefix("a--b") != env_prefix("a_b")


@given(st.from_regex(ACCOUNT_ID, fullmatch=True), st.from_regex(ACCOUNT_ID, fullmatch=True))
def test_the_env_prefix_is_injective_and_reversible(first: str, second: str) -> None:
    try:
        prefix = env_prefix(first)
    except InvalidInput:
        return  # reserved
    assert account_id_of(prefix) == first
    assert re.fullmatch(r"[A-Z0-9_]+", prefix)
    with contextlib.suppress(InvalidInput):
        assert (env_prefix(second) == prefix) == (first == second)


@pytest.mark.parametrize(
    ("account_id", "setting"),
    [("temporal", "REBALANCER_TEMPORAL_API_KEY"), ("paper", "REBALANCER_PAPER_API_SECRET")],
)
def test_an_id_whose_variables_are_settings_is_refused(
    monkeypatch: pytest.MonkeyPatch, account_id: str, setting: str
) -> None:
    monkeypatch.setenv("REBALANCER_TEMPORAL_API_KEY", "temporal-cloud-key")
    monkeypatch.setenv("REBALANCER_TEMPORAL_API_SECRET", "x")
    with pytest.raises(InvalidInput, match=rf"'{account_id}' is reserved.*{setting}") as refused:
        resolve_credentials(account_id)
    assert "temporal-cloud-key" not in str(refused.value)


def test_no_account_reads_a_setting() -> None:
    refused = 0
    for name in setting_env_names():
        for suffix in ("", *SUFFIXES):
            if not name.endswith(suffix):
                continue
            try:
                account_id = account_id_of(name.removesuffix(suffix) if suffix else name)
            except InvalidInput:
                continue  # no account id has variables of that name
            with pytest.raises(InvalidInput, match="reserved"):
                env_prefix(account_id)
            refused += 1
    assert refused >= 2  # temporal and paper, at least


def test_an_id_outside_the_pattern_is_refused() -> None:
    for bad in ("Alice", "desk.7", "-x", "", "a" * 49, "alice\n"):
        with pytest.raises(InvalidInput, match="must match"):
            env_prefix(bad)


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


async def test_a_passphrase_reaches_ccxt_and_nothing_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefix = env_prefix("okx_main")
    monkeypatch.setenv(f"{prefix}_API_KEY", "k-okx")
    monkeypatch.setenv(f"{prefix}_API_SECRET", "s-okx-secret")
    monkeypatch.setenv(f"{prefix}_API_PASSPHRASE", "p-okx-passphrase")
    monkeypatch.setenv(f"{prefix}_VENUE", "okx")
    found = resolve_credentials("okx_main")
    assert found.api_passphrase is not None
    assert "p-okx-passphrase" not in repr(found) + str(found)
    gateway = open_gateway("okx_main", "okx")
    assert "p-okx-passphrase" not in repr(gateway)
    assert gateway._client().password == "p-okx-passphrase"
    await gateway.close()


def open_desk(tmp_path: Path, venue: str) -> CcxtGateway:
    """Opens account "desk" on ``venue`` from a file holding a key and a secret, no passphrase."""
    path = write(
        tmp_path / f"{venue}.json",
        {"desk": {"venue": venue, "api_key": "k", "api_secret": "s-secret"}},
    )
    return open_gateway("desk", venue, credentials_file=path)


def test_a_venue_whose_keys_have_a_passphrase_refuses_keys_without_one(tmp_path: Path) -> None:
    with pytest.raises(MissingCredentials) as missing:
        open_desk(tmp_path, "okx")
    assert missing.value.field == "api_passphrase"
    # Kraken keys have none: the same file shape opens a gateway there.
    assert open_desk(tmp_path, "kraken").venue == "kraken"


def test_a_venue_without_a_profile_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        open_desk(tmp_path, "bitstamp")
    assert "not a supported venue" in str(refused.value)
