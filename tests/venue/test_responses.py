"""Venue responses with missing or garbage fields: parsed exactly, or refused as
MalformedResponse, never any other exception (which would crash-loop an activity)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebalancer.venue.ccxt_gateway import CcxtGateway
from rebalancer.venue.ccxt_parse import (
    parse_balances,
    parse_order,
    parse_order_book,
    parse_quote,
    parse_trade,
)
from rebalancer.venue.errors import MalformedResponse
from tests.hostile_json import nested, scalars
from tests.paper_venue_fixtures import PaperVenueProcess
from tests.venue.ccxt_payloads import unified_order

garbage = nested(
    scalars("1e999999", "-0", "0.00000001", "NaN", "Infinity", "", " 12.5 ", "abc", nan=True),
    width=4,
    max_leaves=12,
)


def shaped(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts with the keys a parser reads, each present or not, holding anything."""
    return st.fixed_dictionaries({}, optional={key: garbage for key in keys})


ORDER_KEYS = [
    "id",
    "symbol",
    "side",
    "amount",
    "price",
    "status",
    "filled",
    "cost",
    "average",
    "timestamp",
    "clientOrderId",
    "info",
    "lastUpdateTimestamp",
]
TRADE_KEYS = [
    "id",
    "symbol",
    "side",
    "amount",
    "price",
    "order",
    "fee",
    "takerOrMaker",
    "timestamp",
    "info",
]

PARSERS: dict[str, tuple[Callable[[Any], Any], st.SearchStrategy[Any]]] = {
    "order book": (
        parse_order_book,
        st.one_of(
            shaped(["bids", "asks"]),
            st.fixed_dictionaries(
                {
                    "bids": st.lists(st.lists(garbage, max_size=3), max_size=4),
                    "asks": st.lists(st.lists(garbage, max_size=3), max_size=4),
                }
            ),
        ),
    ),
    "ticker": (parse_quote, shaped(["bid", "ask", "last", "close", "info"])),
    "balance": (
        parse_balances,
        st.one_of(
            st.dictionaries(st.text(max_size=6), garbage, max_size=5),
            st.fixed_dictionaries(
                {
                    "info": st.fixed_dictionaries(
                        {"balances": st.lists(shaped(["asset", "free", "locked"]), max_size=4)}
                    )
                }
            ),
        ),
    ),
    "order": (lambda raw: parse_order(raw, client_order_id="rb-fuzz"), shaped(ORDER_KEYS)),
    "trade": (parse_trade, shaped(TRADE_KEYS)),
}


@pytest.fixture(scope="module")
def gateway() -> CcxtGateway:
    # Never connects: only its response parsing is exercised.
    return CcxtGateway(
        "binance", api_key="k", api_secret="s", venue="paper", base_url="http://127.0.0.1:1"
    )


@pytest.mark.parametrize("what", sorted(PARSERS))
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_garbage_is_parsed_or_refused_cleanly(
    gateway: CcxtGateway, what: str, data: st.DataObject
) -> None:
    parse, strategy = PARSERS[what]
    raw = data.draw(strategy)
    try:
        result = gateway._parse(what, lambda: parse(raw))
    except MalformedResponse as error:
        message = str(error)
        assert what in message, message
        return
    for value in _decimals(result):
        assert value.is_finite()


def _decimals(value: Any) -> list[Decimal]:
    if isinstance(value, Decimal):
        return [value]
    if isinstance(value, dict):
        return [d for v in value.values() for d in _decimals(v)]
    if isinstance(value, list | tuple):
        return [d for v in value for d in _decimals(v)]
    if hasattr(value, "model_dump"):
        return _decimals(value.model_dump())
    return []


def test_a_well_formed_order_survives() -> None:
    order = parse_order(
        unified_order(
            id="7",
            timestamp=1_700_000_000_000,
            info={
                "origQty": "0.50000",
                "executedQty": "0.10000",
                "price": "64000.01",
                "cummulativeQuoteQty": "6400.001",
                "origClientOrderId": "rb-x-1-BTC-0",
            },
        )
    )
    assert order.amount == Decimal("0.50000")
    assert order.average == Decimal("64000.01")
    assert order.client_order_id == "rb-x-1-BTC-0"


async def test_book_reads_are_shared_within_their_freshness(paper_venue: PaperVenueProcess) -> None:
    """Accounts on one venue share public book reads: one read per symbol per window."""
    first = paper_venue.new_account({"USDT": "1000"}, prefix="cache")
    second = paper_venue.new_account({"USDT": "1000"}, prefix="cache")
    gateways = [
        CcxtGateway(
            "binance",
            api_key=a.api_key,
            api_secret=a.api_secret,
            venue="paper",
            base_url=paper_venue.base_url,
        )
        for a in (first, second)
    ]
    try:
        together = await asyncio.gather(
            *(g.order_book("BTC/USDT", 20, max_age=30) for g in gateways for _ in range(3))
        )
        assert all(book is together[0] for book in together), "one read served them all"
        fresh = await gateways[1].order_book("BTC/USDT", 20)
        assert fresh is not together[0], "max_age 0 always reads the venue"
        again = await gateways[0].order_book("BTC/USDT", 20, max_age=30)
        assert again is together[0]
        expired = await gateways[0].order_book("BTC/USDT", 20, max_age=1e-9)
        assert expired is not together[0]
    finally:
        for gateway in gateways:
            await gateway.close()
