"""Where rebalancer keeps its local state (embedded PostgreSQL, Temporal dev server, logs)."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    """``$REBALANCER_STATE_DIR``, else ``$XDG_STATE_HOME/rebalancer``, else ~/.local/state."""
    explicit = os.environ.get("REBALANCER_STATE_DIR")
    if explicit:
        path = Path(explicit)
    else:
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        path = Path(base) / "rebalancer"
    path.mkdir(parents=True, exist_ok=True)
    return path
