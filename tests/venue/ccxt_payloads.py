"""ccxt's unified market, order and trade dicts, as a gateway hands them to the parsers.

Orders and trades are a BTC/USDT buy unless told otherwise, and a market's base and quote
come from its symbol, so a test spells out only the fields it is about. Keyword names are
ccxt's own keys (``clientOrderId``, ``takerOrMaker``).
"""

from __future__ import annotations

from typing import Any


def unified_market(symbol: str, **fields: Any) -> dict[str, Any]:
    base, quote = symbol.split("/")
    return {"symbol": symbol, "base": base, "quote": quote, **fields}


def unified_order(**fields: Any) -> dict[str, Any]:
    return {"id": "1", "symbol": "BTC/USDT", "side": "buy", "status": "open", **fields}


def unified_trade(**fields: Any) -> dict[str, Any]:
    return {"id": "1", "order": "1", "symbol": "BTC/USDT", "side": "buy", **fields}
