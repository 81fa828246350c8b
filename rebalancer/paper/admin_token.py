"""The paper venue's admin token: who may fund accounts and switch faults on.

The venue takes its token from ``REBALANCER_PAPER_ADMIN_TOKEN`` or makes a fresh one, and
writes it to a file only its user can read: ``--admin-token-file``, else one per port under
the state directory. A client on the same machine finds the token the same way (variable
first, then that file), so whoever started the venue never has to pass the token around,
and the token never appears on a command line (where ``ps`` shows it to every user).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from rebalancer.runtime import paths

TOKEN_ENV = "REBALANCER_PAPER_ADMIN_TOKEN"
HEADER = "Authorization"
SCHEME = "Bearer"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_from_env() -> str | None:
    # Spelled out (not TOKEN_ENV) so the settings audit (tests/deploy) sees the name.
    return os.environ.get("REBALANCER_PAPER_ADMIN_TOKEN", "").strip() or None


def default_token_file(port: int) -> Path:
    """Per port, so that several venues on one machine (dev stack, demo, tests) coexist."""
    return paths.state_dir() / "paper-venue" / f"admin-token-{port}"


def token_file_for(base_url: str) -> Path:
    port = urlsplit(base_url).port
    return default_token_file(port if port is not None else 80)


def write_token_file(path: Path, token: str) -> None:
    """Create ``path`` readable by this user only, before the token goes into it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    # O_EXCL on a fresh name: no other user's file or symlink can be written through.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(token + "\n")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def read_token_file(path: Path) -> str | None:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return token or None


def remove_token_file(path: Path, token: str) -> None:
    """Remove ``path`` if it still holds ``token`` (a newer venue may have replaced it)."""
    if read_token_file(path) == token:
        with contextlib.suppress(OSError):
            path.unlink()


def resolve_token(base_url: str, token_file: Path | None = None) -> str | None:
    """The token a client should send to the venue at ``base_url``: variable, then file."""
    return token_from_env() or read_token_file(token_file or token_file_for(base_url))
