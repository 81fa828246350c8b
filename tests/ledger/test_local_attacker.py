"""What another local user could do to the embedded database: pre-create its runtime
directory, or read through a home directory we opened for the server."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

from rebalancer.ledger import embedded
from rebalancer.ledger.errors import LedgerUnavailable
from rebalancer.runtime import paths

NOBODY = 65534
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_the_runtime_dir_is_private_and_ours(temp_root: Path) -> None:
    runtime = embedded.private_runtime_dir()
    assert runtime.parent == temp_root
    found = runtime.lstat()
    assert stat.S_ISDIR(found.st_mode)
    assert found.st_uid == os.geteuid()
    assert stat.S_IMODE(found.st_mode) == 0o700


@needs_root
def test_a_runtime_dir_pre_created_by_another_user_is_refused(temp_root: Path) -> None:
    planted = temp_root / f"rebalancer-postgres-{os.geteuid()}"
    planted.mkdir(mode=0o777)
    os.chown(planted, NOBODY, NOBODY)
    with pytest.raises(LedgerUnavailable, match="belongs to uid 65534"):
        embedded.private_runtime_dir()


def test_a_runtime_dir_open_to_others_is_refused(temp_root: Path) -> None:
    planted = temp_root / f"rebalancer-postgres-{os.geteuid()}"
    planted.mkdir()
    planted.chmod(0o777)
    with pytest.raises(LedgerUnavailable, match="open to other users"):
        embedded.private_runtime_dir()


def test_a_symlink_in_place_of_the_runtime_dir_is_refused(temp_root: Path) -> None:
    (temp_root / "elsewhere").mkdir(mode=0o700)
    (temp_root / f"rebalancer-postgres-{os.geteuid()}").symlink_to(temp_root / "elsewhere")
    with pytest.raises(LedgerUnavailable, match="not a directory"):
        embedded.private_runtime_dir()


@needs_root
def test_someone_elses_xdg_runtime_dir_is_not_used(
    temp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sudo keeps the invoking user's XDG_RUNTIME_DIR: not root's to write into.
    theirs = temp_root / "run-user-1000"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, NOBODY, NOBODY)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(theirs))
    assert embedded.private_runtime_dir().parent == temp_root


def test_the_package_locks_and_sockets_in_the_private_dir() -> None:
    server = embedded._package().PostgresServer
    runtime = Path(server.runtime_path)
    found = runtime.lstat()
    assert found.st_uid == os.geteuid()
    assert not found.st_mode & embedded.NOT_PRIVATE
    assert Path(server.lock_path).parent == runtime
    assert Path(os.fsdecode(server._lock.path)).parent == runtime


def test_a_home_directory_is_never_opened_for_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    pgdata = home / ".local" / "state" / "rebalancer" / "postgres"
    pgdata.mkdir(parents=True)
    home.chmod(0o700)
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(LedgerUnavailable, match="REBALANCER_STATE_DIR"):
        embedded._allow_traverse(pgdata)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_traversal_bits_only_on_other_directories(tmp_path: Path) -> None:
    outside = tmp_path / "srv"
    (outside / "postgres").mkdir(parents=True)
    outside.chmod(0o700)
    embedded._allow_traverse(outside / "postgres")
    assert stat.S_IMODE(outside.stat().st_mode) == 0o711


def test_roots_default_state_is_outside_any_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("REBALANCER_STATE_DIR", "XDG_STATE_HOME"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "root-home"))
    monkeypatch.setattr(paths, "ROOT_STATE_DIR", tmp_path / "var-lib-rebalancer", raising=False)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    state = paths.state_dir()
    assert state == tmp_path / "var-lib-rebalancer"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
