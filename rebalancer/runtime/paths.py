"""Where rebalancer keeps its local state (embedded PostgreSQL, Temporal dev server, logs)."""

from __future__ import annotations

import contextlib
import os
import pwd
from pathlib import Path

from rebalancer.domain.errors import InvalidInput
from rebalancer.runtime.config import Settings, load_settings

# Root's default: outside any home directory. Run as root, the embedded PostgreSQL runs as
# another system user that must traverse to its data, and opening /root for that would open
# it to every local user.
ROOT_STATE_DIR = Path("/var/lib/rebalancer")


def state_dir(settings: Settings | None = None) -> Path:
    """The state_dir setting (``REBALANCER_STATE_DIR``), else ``$XDG_STATE_HOME/rebalancer``,
    else ~/.local/state/rebalancer (``/var/lib/rebalancer`` for root). Without ``settings``,
    from the settings as loaded now.

    A directory created here is private (0700): it holds logs, pids and credentials.
    """
    explicit = (settings or load_settings()).state_dir
    if explicit:
        path = explicit
    elif os.environ.get("XDG_STATE_HOME"):
        path = Path(os.environ["XDG_STATE_HOME"]) / "rebalancer"
    elif os.geteuid() == 0:
        path = ROOT_STATE_DIR
    else:
        path = Path.home() / ".local" / "state" / "rebalancer"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidInput(
            "REBALANCER_STATE_DIR", f"cannot make the state directory {path}: {error.strerror}"
        ) from None
    return path


def home_directories() -> frozenset[Path]:
    """Every user's home directory (and ours): directories whose mode is theirs to set."""
    homes = {Path.home()}
    with contextlib.suppress(OSError):
        homes |= {Path(entry.pw_dir) for entry in pwd.getpwall() if entry.pw_dir}
    # "/" is the home of system users on some systems; it is no one's private directory.
    return frozenset(home.resolve() for home in homes if home.resolve() != Path("/"))
