"""Binance spot REQUEST_WEIGHT per call (api/v3, 2024 values), shared by the gateway, which
budgets its requests with them, and the paper venue, which charges them; and the book depths
Binance accepts, which detect-drift, assess-liquidity and the backtest read at."""

from __future__ import annotations

EXCHANGE_INFO = 20
TICKER_24HR = 2
# /api/v3/ticker/bookTicker without a symbol: every symbol's best bid and ask.
BOOK_TICKER_ALL = 4
ACCOUNT = 20
ORDER_POST = 1
ORDER_GET = 4
ORDER_DELETE = 1
MY_TRADES = 20
MY_TRADES_BY_ORDER = 5
# /api/v3/allOrders
ALL_ORDERS = 20


BOOK_LIMITS = (5, 10, 20, 50, 100, 500, 1000, 5000)


def book_limit(levels: int) -> int:
    """The smallest accepted depth that covers ``levels`` (and at least 20)."""
    wanted = max(20, levels)
    return next((limit for limit in BOOK_LIMITS if limit >= wanted), BOOK_LIMITS[-1])


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
