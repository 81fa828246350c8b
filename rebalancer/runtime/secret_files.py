"""Writing files that hold secrets (API keys, credentials): readable by their owner only.

A secret file is written whole into a temporary file in the same directory, created 0600
without following links, then renamed over the target. So a reader never sees half a file, a
file that was once 0644 comes out 0600 (the rename brings a new inode and its mode), and a
symlink planted at the target name is refused instead of followed to wherever it points.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

from rebalancer.domain.errors import RebalancerError

PRIVATE = 0o600


class SecretFileError(RebalancerError):
    """A secret file cannot be written safely where it was asked for."""


def _refuse_unsafe_target(path: Path) -> None:
    try:
        found = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(found.st_mode):
        raise SecretFileError(f"{path} is a symbolic link; refusing to write a secret through it")
    if not stat.S_ISREG(found.st_mode):
        raise SecretFileError(f"{path} is not a regular file; refusing to write a secret there")


def write_secret_file(path: Path, content: str | bytes, *, mode: int = PRIVATE) -> None:
    """Replace ``path`` atomically with ``content``, mode ``mode`` (0600 unless told)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    _refuse_unsafe_target(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    descriptor = os.open(temporary, flags, mode)
    try:
        # The umask can only narrow the mode os.open asked for; fchmod makes it exact.
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # Checked again just before the rename: it replaces a link rather than following it,
        # but a link appearing now means someone is racing us for the name.
        _refuse_unsafe_target(path)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def make_private(path: Path, *, mode: int = PRIVATE) -> None:
    """Narrow an existing file's mode to ``mode`` without following a link at ``path``."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise SecretFileError(f"{path} is a symbolic link; refusing to follow it") from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise SecretFileError(f"{path} is not a regular file")
        os.fchmod(descriptor, mode)
    finally:
        os.close(descriptor)
