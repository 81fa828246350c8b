"""Binance spot REQUEST_WEIGHT per call (api/v3, 2024 values), shared by the gateway, which
budgets its requests with them, and the paper venue, which charges them."""

from __future__ import annotations

EXCHANGE_INFO = 20
TICKER_24HR = 2
ACCOUNT = 20
ORDER_POST = 1
ORDER_GET = 4
ORDER_DELETE = 1
MY_TRADES = 20
MY_TRADES_BY_ORDER = 5


def depth_weight(limit: int) -> int:
    if limit <= 100:
        return 5
    if limit <= 500:
        return 25
    if limit <= 1000:
        return 50
    return 250


def open_orders_weight(with_symbol: bool) -> int:
    return 6 if with_symbol else 80
