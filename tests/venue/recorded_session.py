"""A stand-in for the aiohttp session ccxt sends its requests through.

ccxt's own request path runs unchanged (signing, URL building, ``handle_errors``, the HTTP
status mapping); only the socket is replaced: each request is matched to a route and
answered with a recorded body, an HTTP error, or a lost response (the venue acted, the
reply never came). Every request is kept for the test to inspect.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import pytest
import yarl

from rebalancer.domain.market import BookLevel, OrderBook
from rebalancer.venue import ccxt_gateway, errors, rate_limit
from rebalancer.venue.ccxt_gateway import CcxtGateway

RECORDED = Path(__file__).parent / "recorded"

E = TypeVar("E", bound=errors.VenueError)


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: a JSON-able body (or raw text) with a status and headers."""

    body: Any
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


class LostResponse(Exception):
    """Raised by a handler after it acted: the caller sees a timeout."""


@dataclass
class Sent:
    method: str
    url: yarl.URL
    body: str

    @property
    def path(self) -> str:
        return self.url.path

    @property
    def params(self) -> dict[str, Any]:
        """Query string, form body or JSON body, whichever the request carried."""
        found: dict[str, Any] = dict(self.url.query)
        if self.body:
            try:
                parsed = json.loads(self.body)
            except ValueError:
                parsed = dict(parse_qsl(self.body))
            if isinstance(parsed, dict):
                found.update(parsed)
        return found


Handler = Callable[[Sent], Reply]


class _Response:
    def __init__(self, reply: Reply) -> None:
        self.status = reply.status
        self.reason = HTTPStatus(reply.status).phrase
        self.headers = dict(reply.headers)
        # Compact, as venues send JSON: error markers such as '"retCode":10016,' rely on it.
        self._text = (
            reply.body
            if isinstance(reply.body, str)
            else json.dumps(reply.body, separators=(",", ":"))
        )

    async def text(self, errors: str = "strict") -> str:
        return self._text


class _Pending:
    def __init__(self, session: RecordedSession, sent: Sent) -> None:
        self._session = session
        self._sent = sent

    async def __aenter__(self) -> _Response:
        await asyncio.sleep(0)
        reply = self._session.answer(self._sent)
        if self._session.on_reply is not None:
            self._session.on_reply(reply)
        return _Response(reply)

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class RecordedSession:
    """Routes are tried newest first, so a test can override a venue's default route."""

    def __init__(self) -> None:
        self.closed = False
        # ccxt reads the session's default headers on every request.
        self.headers: dict[str, str] = {}
        # Sees every reply before ccxt does, as the gateway's response hook would (it feeds
        # Retry-After to the venue's limiter).
        self.on_reply: Callable[[Reply], None] | None = None
        self.sent: list[Sent] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def on(self, method: str, path: str, handler: Handler | Reply | Any) -> None:
        """Answer ``method`` requests whose path matches the regex ``path``: with a handler,
        a Reply, or a JSON body."""
        if not callable(handler):
            reply = handler if isinstance(handler, Reply) else Reply(handler)
            self._routes.insert(0, (method.upper(), re.compile(path), lambda _: reply))
        else:
            self._routes.insert(0, (method.upper(), re.compile(path), handler))

    def answer(self, sent: Sent) -> Reply:
        self.sent.append(sent)
        for method, path, handler in self._routes:
            if method == sent.method and path.search(sent.path):
                try:
                    return handler(sent)
                except LostResponse:
                    raise TimeoutError(f"{sent.method} {sent.path}: response lost") from None
        raise AssertionError(f"no recorded response for {sent.method} {sent.url}")

    def requests(self, method: str, path: str) -> list[Sent]:
        pattern = re.compile(path)
        return [s for s in self.sent if s.method == method.upper() and pattern.search(s.path)]

    def _request(self, method: str, url: yarl.URL, data: bytes | None = None, **_: Any) -> _Pending:
        body = data.decode() if isinstance(data, bytes) else ""
        return _Pending(self, Sent(method, url, body))

    def get(self, url: yarl.URL, **kwargs: Any) -> _Pending:
        return self._request("GET", url, **kwargs)

    def post(self, url: yarl.URL, **kwargs: Any) -> _Pending:
        return self._request("POST", url, **kwargs)

    def delete(self, url: yarl.URL, **kwargs: Any) -> _Pending:
        return self._request("DELETE", url, **kwargs)

    def put(self, url: yarl.URL, **kwargs: Any) -> _Pending:
        return self._request("PUT", url, **kwargs)

    async def close(self) -> None:
        self.closed = True


def recorded(venue: str) -> dict[str, Any]:
    """The fixture file of one venue."""
    loaded: dict[str, Any] = json.loads((RECORDED / f"{venue}.json").read_text())
    return loaded


def body(venue: str, name: str) -> Any:
    """A fresh copy of one recorded HTTP body, by its name in the venue's fixture."""
    return json.loads(json.dumps(recorded(venue)["responses"][name]["httpResponse"]))


@dataclass
class RecordedVenue:
    session: RecordedSession
    gateway: CcxtGateway


def use_markets(monkeypatch: pytest.MonkeyPatch, exchange_id: str, markets: Any) -> None:
    """Markets from ccxt's recorded market file, as ccxt's own static tests load them."""
    import ccxt.async_support as ccxt_async

    cls = getattr(ccxt_async, exchange_id)

    async def load_markets(self: Any, reload: bool = False, params: Any = None) -> Any:
        # Every key a market of ccxt's own fetch_markets has (a recorded file may predate
        # some): set_markets indexes the markets by id as given.
        complete = [
            self.deep_extend(self.safe_market_structure(), market)
            for market in json.loads(json.dumps(markets)).values()
        ]
        loaded = self.set_markets(complete)
        if "marketsByAltname" in self.options:
            # What ccxt's kraken fetch_markets leaves beside the markets.
            self.options["marketsByAltname"] = self.index_by(list(loaded.values()), "altname")
        return loaded

    monkeypatch.setattr(cls, "load_markets", load_markets)


def recorded_venue(
    monkeypatch: pytest.MonkeyPatch, exchange_id: str, **options: Any
) -> RecordedVenue:
    """A CcxtGateway on ``exchange_id`` whose HTTP goes to a RecordedSession."""
    session = RecordedSession()
    # Fresh per-venue state: nothing shared with another test's venue or limiter.
    monkeypatch.setattr(ccxt_gateway, "_VENUES", {})
    monkeypatch.setattr(rate_limit, "_LIMITERS", {})
    monkeypatch.setattr(ccxt_gateway._SharedVenue, "open_session", lambda self: session)
    use_markets(monkeypatch, exchange_id, recorded(exchange_id)["markets"])
    gateway = CcxtGateway(
        exchange_id,
        api_key=options.pop("api_key", "recorded-key"),
        api_secret=options.pop("api_secret", "cmVjb3JkZWQtc2VjcmV0"),
        timeout=5.0,
        max_wait=0.5,
        **options,
    )
    session.on_reply = lambda reply: _retry_after(gateway, reply)
    return RecordedVenue(session, gateway)


async def balances_error(
    venue: RecordedVenue, method: str, path: str, reply: Reply, kind: type[E]
) -> E:
    """What a balances read raises when the venue answers every try with ``reply``: it
    must be a ``kind``. The read runs no order logic, so only the error mapping is tested."""
    venue.session.on(method, path, reply)
    with pytest.raises(kind) as raised:
        await venue.gateway.balances()
    return raised.value


def assert_book(
    book: OrderBook, bids: Sequence[tuple[str, str]], asks: Sequence[tuple[str, str]]
) -> None:
    """The parsed book holds the recorded levels: (price, quantity) texts, best first."""
    assert _levels(book.bids) == [(Decimal(p), Decimal(q)) for p, q in bids]
    assert _levels(book.asks) == [(Decimal(p), Decimal(q)) for p, q in asks]


def _levels(side: Iterable[BookLevel]) -> list[tuple[Decimal, Decimal]]:
    return [(level.price, level.quantity) for level in side]


def _retry_after(gateway: CcxtGateway, reply: Reply) -> None:
    value = {k.lower(): v for k, v in reply.headers.items()}.get("retry-after")
    if value is not None:
        gateway.limiter.pause(float(value))


def iter_sources(venue: str) -> Iterator[str]:
    data = recorded(venue)
    for entry in data["responses"].values():
        yield entry["source"]
