"""The admin API serves its token holder only: not a web page, not a rebound DNS name."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from rebalancer.paper.admin_client import PaperAdmin, PaperAdminError
from rebalancer.paper.admin_token import (
    TOKEN_ENV,
    default_token_file,
    read_token_file,
    remove_token_file,
    write_token_file,
)
from rebalancer.paper.server.admin import host_allowed
from rebalancer.paper.server.app import create_app
from rebalancer.paper.server.state import ServerSettings, VenueServer

TOKEN = "t0ken-for-tests"
ACCOUNT = {"account_id": "mallory", "api_key": "mallory", "api_secret": "x", "balances": {}}


@pytest.fixture
async def server() -> VenueServer:
    now = datetime(2025, 3, 1, 12, 0, 10, tzinfo=UTC)
    return VenueServer(ServerSettings(seed=1, admin_token=TOKEN), clock=lambda: now)


@pytest.fixture
async def client(server: VenueServer) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(create_app(server))) as test_client:
        yield test_client


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("wrong"), bearer(TOKEN + "x"), bearer(TOKEN[:-1]), {"Authorization": TOKEN}],
)
async def test_a_missing_or_wrong_token_is_refused(
    client: TestClient[Any, Any], server: VenueServer, headers: dict[str, str]
) -> None:
    for method, path in [("GET", "/admin/health"), ("GET", "/admin/accounts")]:
        reply = await client.request(method, path, headers=headers)
        assert reply.status == 401
        assert reply.headers["WWW-Authenticate"] == "Bearer"
        assert (await reply.json())["error"].startswith("Authorization: ")
    reply = await client.post("/admin/accounts", json=ACCOUNT, headers=headers)
    assert reply.status == 401
    assert not server.venue.has_account("mallory")
    assert (await client.get("/admin/health", headers=bearer())).status == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_post_that_is_not_json_is_refused_even_with_the_token(
    client: TestClient[Any, Any], server: VenueServer, content_type: str | None
) -> None:
    # What a cross-site form or fetch(no-cors) can send without a preflight.
    headers = {**bearer(), **({"Content-Type": content_type} if content_type else {})}
    body = '{"account_id":"mallory","api_key":"mallory","api_secret":"x"}'
    reply = await client.post("/admin/accounts", data=body.encode(), headers=headers)
    assert reply.status == 415
    assert (await reply.json())["error"] == "Content-Type: must be application/json"
    assert not server.venue.has_account("mallory")
    reply = await client.post("/admin/faults", data=b'{"maintenance": true}', headers=headers)
    assert reply.status == 415
    assert not server.faults.in_maintenance(server.now())
    good = await client.post("/admin/accounts", json=ACCOUNT, headers=bearer())
    assert good.status == 201


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8765", "127.0.0.1.nip.io", "localhost.evil.example", ""]
)
async def test_a_foreign_host_is_refused_even_with_the_token(
    client: TestClient[Any, Any], host: str
) -> None:
    reply = await client.get("/admin/accounts", headers={**bearer(), "Host": host})
    assert reply.status == 403
    assert (await reply.json())["error"].startswith("Host: ")


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST:8765", "127.0.0.1:8765", "127.1.2.3", "[::1]:8765", "[::1]"]
)
async def test_loopback_hosts_are_served(client: TestClient[Any, Any], host: str) -> None:
    reply = await client.get("/admin/health", headers={**bearer(), "Host": host})
    assert reply.status == 200


def test_the_bound_host_is_allowed_unless_it_is_a_wildcard() -> None:
    assert host_allowed("venue.internal:8765", "venue.internal")
    assert host_allowed("10.0.0.5:8765", "10.0.0.5")
    assert not host_allowed("venue.internal:8765", "0.0.0.0")
    assert not host_allowed("venue.internal", "::")
    assert not host_allowed(None, "127.0.0.1")


async def test_the_binance_routes_need_no_admin_token(client: TestClient[Any, Any]) -> None:
    assert (await client.get("/api/v3/ping")).status == 200


async def test_the_admin_client_finds_the_token_the_venue_wrote(
    client: TestClient[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REBALANCER_STATE_DIR", str(tmp_path))
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    url = str(client.make_url("")).rstrip("/")
    with pytest.raises(PaperAdminError, match=TOKEN_ENV):
        async with PaperAdmin(url):
            pass
    path = default_token_file(client.port or 0)
    write_token_file(path, TOKEN)
    async with PaperAdmin(url) as admin:
        assert (await admin.health())["status"] == "ok"
    # The variable wins over the file: whoever set it started the venue with it.
    monkeypatch.setenv(TOKEN_ENV, "stale")
    async with PaperAdmin(url) as admin:
        with pytest.raises(PaperAdminError, match="Authorization"):
            await admin.health()
    async with PaperAdmin(url, token=TOKEN) as admin:
        assert (await admin.health())["status"] == "ok"


def test_the_token_file_is_private_and_removed_only_by_its_writer(tmp_path: Path) -> None:
    path = tmp_path / "state" / "admin-token"
    write_token_file(path, "one")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_token_file(path) == "one"
    write_token_file(path, "two")
    remove_token_file(path, "one")
    assert read_token_file(path) == "two"
    remove_token_file(path, "two")
    assert not path.exists()
    assert os.listdir(path.parent) == []
