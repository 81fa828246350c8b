"""A client for the paper venue's /admin endpoints (the venue's own records, not ccxt's).

The admin token comes from ``token``, else ``REBALANCER_PAPER_ADMIN_TOKEN``, else the token
file the venue wrote (``token_file``, else the default one for the URL's port).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
from pydantic import SecretStr

from rebalancer.domain.errors import RebalancerError
from rebalancer.paper.admin_token import HEADER, SCHEME, TOKEN_ENV, resolve_token, token_file_for
from rebalancer.venue.models import Balance


class PaperAdminError(RebalancerError):
    pass


class PaperAdmin:
    def __init__(
        self, base_url: str, *, token: str | None = None, token_file: Path | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._token_file = token_file
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> PaperAdmin:
        token = self._token or resolve_token(self.base_url, self._token_file)
        if token is None:
            where = self._token_file or token_file_for(self.base_url)
            raise PaperAdminError(
                f"no admin token for the paper venue at {self.base_url}: set {TOKEN_ENV} "
                f"or start the venue so that it writes {where}"
            )
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=30), headers={HEADER: f"{SCHEME} {token}"}
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def _request(self, method: str, path: str, body: Any = None) -> Any:
        assert self._session is not None, "use `async with PaperAdmin(url)`"
        try:
            async with self._session.request(method, self.base_url + path, json=body) as reply:
                data = await reply.json(content_type=None)
                if reply.status >= 400:
                    raise PaperAdminError(f"paper venue {method} {path}: {data.get('error')}")
                return data
        except aiohttp.ClientError as error:
            raise PaperAdminError(f"paper venue at {self.base_url} unreachable: {error}") from None

    async def health(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._request("GET", "/admin/health")
        return result

    async def market(self) -> dict[str, dict[str, Any]]:
        """Mid, volatility and best bid/ask per symbol, as strings."""
        data = await self._request("GET", "/admin/market")
        markets: dict[str, dict[str, Any]] = data["markets"]
        return markets

    async def add_account(
        self, account_id: str, api_key: str, api_secret: SecretStr, balances: dict[str, Decimal]
    ) -> None:
        await self._request(
            "POST",
            "/admin/accounts",
            {
                "account_id": account_id,
                "api_key": api_key,
                "api_secret": api_secret.get_secret_value(),
                "balances": {asset: str(amount) for asset, amount in balances.items()},
            },
        )

    async def balances(self, account_id: str) -> dict[str, Balance]:
        data = await self._request("GET", f"/admin/accounts/{account_id}/balances")
        return {
            asset: Balance(asset=asset, free=Decimal(row["free"]), locked=Decimal(row["locked"]))
            for asset, row in data["balances"].items()
        }

    async def orders(self, account_id: str) -> list[dict[str, Any]]:
        data = await self._request("GET", f"/admin/accounts/{account_id}/orders")
        orders: list[dict[str, Any]] = data["orders"]
        return orders

    async def trades(self, account_id: str) -> list[dict[str, Any]]:
        data = await self._request("GET", f"/admin/accounts/{account_id}/trades")
        trades: list[dict[str, Any]] = data["trades"]
        return trades

    async def set_faults(self, **settings: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._request("POST", "/admin/faults", settings)
        return result
