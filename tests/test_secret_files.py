"""Secret files: 0600, written whole, never through a planted link, whatever was there."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from rebalancer.devstack.stack import PaperAccount, write_credentials, write_paper_accounts
from rebalancer.runtime.secret_files import SecretFileError, make_private, write_secret_file

ACCOUNTS = [PaperAccount("demo-1", "key-1", "secret-0123456789abcdef", {"USDT": "1000"})]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_a_new_file_is_0600_even_under_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_secret_file(tmp_path / "s.json", "{}")
    finally:
        os.umask(old)
    assert mode(tmp_path / "s.json") == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"], "no temporary file left"


def test_an_existing_0644_file_comes_out_0600(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    path.write_text("old")
    path.chmod(0o644)
    write_credentials(path, ACCOUNTS)
    assert mode(path) == 0o600
    assert json.loads(path.read_text())["accounts"]["demo-1"]["api_secret"].startswith("secret-")


def test_a_planted_symlink_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    elsewhere = tmp_path / "attacker-readable.txt"
    elsewhere.write_text("untouched")
    elsewhere.chmod(0o644)
    path = tmp_path / "credentials.json"
    path.symlink_to(elsewhere)
    with pytest.raises(SecretFileError, match="symbolic link"):
        write_credentials(path, ACCOUNTS)
    assert elsewhere.read_text() == "untouched"
    assert path.is_symlink()
    with pytest.raises(SecretFileError, match="symbolic link"):
        make_private(path)
    assert mode(elsewhere) == 0o644


def test_a_dangling_symlink_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "venue-accounts.json"
    path.symlink_to(tmp_path / "created-by-us-for-them.json")
    with pytest.raises(SecretFileError):
        write_secret_file(path, "secret")
    assert not (tmp_path / "created-by-us-for-them.json").exists()


def test_the_venue_accounts_file_holds_secrets_and_is_private(tmp_path: Path) -> None:
    (tmp_path / "venue-accounts.json").write_text("{}")
    (tmp_path / "venue-accounts.json").chmod(0o644)
    credentials = write_paper_accounts(tmp_path, ACCOUNTS)
    assert mode(tmp_path / "venue-accounts.json") == 0o600
    assert mode(credentials) == 0o600


def test_make_private_narrows_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_text("x")
    path.chmod(0o664)
    make_private(path)
    assert mode(path) == 0o600
