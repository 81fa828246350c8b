"""How a rebalancer process ends, whichever entry point started it (``rebalancer ...``,
``python worker.py``): an error a user can fix (bad input, a bad setting, an unreachable
service) as one line on stderr and exit code 2; a traceback only for a bug."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn

from pydantic import ValidationError

from rebalancer.domain.errors import RebalancerError
from rebalancer.domain.snapshot_json import describe

PROG = "rebalancer"


def one_line(text: str) -> str:
    """``text`` with control characters escaped: a key in a file may hold a newline."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def reporting_errors(action: Callable[[], int]) -> int:
    """``action``'s exit code; a fixable error printed in one line, exit code 2."""
    try:
        return action()
    except ValidationError as error:
        print(f"{PROG}: error: {one_line(str(describe(error)))}", file=sys.stderr)
    except RebalancerError as error:
        print(f"{PROG}: error: {one_line(str(error))}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 2


def exit_with(code: int) -> NoReturn:
    if "temporalio.bridge.temporal_sdk_bridge" in sys.modules:
        # The Temporal client's native runtime threads can still hold the GIL machinery when
        # the interpreter finalizes, which sporadically aborts the process (SIGABRT) after
        # the command has finished. Everything is done and flushed here, so skip
        # finalization: the exit code is the command's, every time.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
