"""Settings from the environment are refused in one line naming the setting, before any
connection: each of these used to end in a traceback (or in an overflow inside the SDK)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.test_bad_arguments import refused_line


def _cases(tmp_path: Path) -> dict[str, tuple[dict[str, str], list[str], str]]:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    return {
        "an address the SDK cannot parse": (
            {"REBALANCER_TEMPORAL_ADDRESS": "::::"},
            ["account", "list"],
            "setting temporal_address (env REBALANCER_TEMPORAL_ADDRESS)",
        ),
        "a state directory that is a file": (
            {"REBALANCER_STATE_DIR": str(a_file)},
            ["db", "status"],
            "REBALANCER_STATE_DIR",
        ),
        "a cache of twenty digits": (
            {"REBALANCER_MAX_CACHED_WORKFLOWS": "9" * 20},
            ["account", "list"],
            "setting max_cached_workflows",
        ),
        "an infinite collection period": (
            {"REBALANCER_GC_FULL_COLLECTION_SECONDS": "inf"},
            ["account", "list"],
            "setting gc_full_collection_seconds",
        ),
        "a collection that would come at every freeze": (
            {"REBALANCER_GC_FULL_COLLECTION_GROWTH": "0"},
            ["account", "list"],
            "setting gc_full_collection_growth",
        ),
        "a client certificate that is not there": (
            {
                "REBALANCER_TEMPORAL_TLS_CLIENT_CERT": str(tmp_path / "missing.pem"),
                "REBALANCER_TEMPORAL_TLS_CLIENT_KEY": str(tmp_path / "missing.key"),
            },
            ["account", "list"],
            "setting temporal_tls_client_cert",
        ),
    }


CASE_NAMES = [
    "an address the SDK cannot parse",
    "a state directory that is a file",
    "a cache of twenty digits",
    "an infinite collection period",
    "a collection that would come at every freeze",
    "a client certificate that is not there",
]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_a_hostile_setting_is_refused_in_one_line_naming_it(case: str, tmp_path: Path) -> None:
    variables, argv, named = _cases(tmp_path)[case]
    env = {k: v for k, v in os.environ.items() if not k.startswith("REBALANCER_")}
    env.pop("DATABASE_URL", None)
    line = refused_line(argv, {**env, **variables})
    assert line.startswith(f"rebalancer: error: {named}"), line
