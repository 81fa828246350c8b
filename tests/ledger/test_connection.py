from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rebalancer.ledger.connection import decode_json, encode_json, redact, with_database


def test_redact_hides_only_the_password() -> None:
    assert (
        redact("postgresql://ledger:s3cret@db.internal:6432/ledger?sslmode=require")
        == "postgresql://ledger:***@db.internal:6432/ledger?sslmode=require"
    )
    assert redact("postgresql://ledger:s3cret@[::1]/x") == "postgresql://ledger:***@[::1]/x"
    unix = "postgresql://postgres@/rebalancer?host=/tmp/pg&port=5432"
    assert redact(unix) == unix


def test_with_database_keeps_server_and_options() -> None:
    assert (
        with_database("postgresql://postgres@/rebalancer?host=/tmp/pg&port=5432", "other")
        == "postgresql://postgres@/other?host=/tmp/pg&port=5432"
    )
    assert with_database("postgres://u:p@h:5/a", "b") == "postgres://u:p@h:5/b"
    with pytest.raises(ValueError, match="postgresql:// URL"):
        with_database("host=/tmp dbname=x", "y")


def test_json_columns_keep_decimals_exact() -> None:
    text = encode_json(
        {"q": Decimal("0.123456789012345678901"), "at": datetime(2025, 1, 6, tzinfo=UTC)}
    )
    assert text == '{"q":"0.123456789012345678901","at":"2025-01-06T00:00:00+00:00"}'
    assert decode_json('{"n": 0.1000000000000000055511}') == {
        "n": Decimal("0.1000000000000000055511")
    }
    with pytest.raises(TypeError, match="cannot store object"):
        encode_json({"x": object()})
