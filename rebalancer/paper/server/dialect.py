"""Binance spot (api/v3) on the wire: JSON shapes, error codes and request weights.

Pure functions from the paper venue's objects to what Binance would send. Error codes and
messages are Binance's own, chosen so that stock ccxt raises the matching unified error
even though the server's URL is not binance.com (ccxt then uses only its market-agnostic
error table). One deliberate difference: a below-minimum notional is answered with -2010
(NEW_ORDER_REJECTED) rather than -1013, so that ccxt raises InvalidOrder for it as it does
for the PRICE_FILTER and LOT_SIZE failures (whose text ccxt matches).
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from rebalancer.domain.market import OrderBook
from rebalancer.paper.instruments import Instrument
from rebalancer.paper.orders import Fill, OrderRejected, PaperOrder
from rebalancer.venue import binance_weights as weights
from rebalancer.venue.models import Balance

EIGHT = Decimal("0.00000001")
# Binance's own legal ranges, quoted back in its -1100 messages.
DECIMAL_PARAM = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
LONG_PARAM = re.compile(r"^[0-9]{1,20}$")
SYMBOL_PARAM = re.compile(r"^[A-Z0-9-_.]{1,20}$")
SYMBOLS_PARAM = re.compile(r'^\["[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}\]$')
CLIENT_ID_PARAM = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
# Milliseconds a datetime can hold (year 1970 to 9999): a time outside it is refused.
LATEST_MILLIS = 253_402_300_799_000
# Wide enough to write any balance or amount the venue accepts (at most 1e30, see
# rebalancer.domain.numbers.INPUT_MAX) with eight decimals; the default 28 digits are not.
_WIDE = decimal.Context(prec=80, traps=[decimal.InvalidOperation, decimal.Overflow])


class ApiError(Exception):
    """An error response: HTTP status, Binance code and message, optional headers."""

    def __init__(
        self, status: int, code: int, msg: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(msg)
        self.status = status
        self.code = code
        self.msg = msg
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_millis(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def number(value: Decimal) -> str:
    """Binance writes amounts as strings with eight decimals."""
    return format(value.quantize(EIGHT, context=_WIDE), "f")


# --------------------------------------------------------------------------- errors

_REJECT_CODES = {
    "unknown_symbol": -1121,
    "invalid_parameter": -1102,
    "illegal_characters": -1100,
    "price_filter": -1013,
    "lot_size": -1013,
    "notional": -2010,
    "insufficient_balance": -2010,
    "duplicate_order": -2010,
    "would_take": -2010,
    "no_liquidity": -2010,
}


def rejection(error: OrderRejected, *, querying: bool = False) -> ApiError:
    if error.reason == "unknown_order":
        # Binance answers a query for a missing order with -2013, a cancel with -2011.
        return ApiError(400, -2013 if querying else -2011, error.message)
    return ApiError(400, _REJECT_CODES.get(error.reason, -1102), error.message)


def mandatory(name: str) -> ApiError:
    return ApiError(
        400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def illegal(name: str, legal: re.Pattern[str] = DECIMAL_PARAM) -> ApiError:
    return ApiError(
        400,
        -1100,
        f"Illegal characters found in parameter '{name}'; legal range is '{legal.pattern}'.",
    )


def invalid(name: str) -> ApiError:
    """Well-formed but out of range: Binance's INVALID_PARAMETER."""
    return ApiError(400, -1130, f"Data sent for parameter '{name}' is not valid.")


def invalid_api_key() -> ApiError:
    return ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")


MAINTENANCE = ApiError(503, -1, "System is under maintenance.")
INTERNAL = ApiError(500, -1001, "Internal error; unable to process your request. Please try again.")
UNKNOWN_EXECUTION = ApiError(
    504,
    -1007,
    "Timeout waiting for response from backend server. Send status unknown; execution status "
    "unknown.",
)


# --------------------------------------------------------------------------- weights

WEIGHTS: dict[tuple[str, str], int] = {
    ("GET", "/api/v3/ping"): 1,
    ("GET", "/api/v3/time"): 1,
    ("GET", "/api/v3/exchangeInfo"): weights.EXCHANGE_INFO,
    ("GET", "/api/v3/avgPrice"): 2,
    ("POST", "/api/v3/order"): weights.ORDER_POST,
    ("GET", "/api/v3/order"): weights.ORDER_GET,
    ("DELETE", "/api/v3/order"): weights.ORDER_DELETE,
    ("DELETE", "/api/v3/openOrders"): 1,
    ("GET", "/api/v3/allOrders"): 20,
    ("GET", "/api/v3/account"): weights.ACCOUNT,
}


def request_weight(method: str, path: str, params: dict[str, str]) -> int:
    """Binance's REQUEST_WEIGHT for one call."""
    if path == "/api/v3/depth":
        try:
            return weights.depth_weight(int(params.get("limit", "100")))
        except ValueError:
            return 5
    with_symbol = "symbol" in params
    if path == "/api/v3/ticker/24hr":
        return weights.TICKER_24HR if with_symbol else 80
    if path in ("/api/v3/ticker/price", "/api/v3/ticker/bookTicker"):
        return 2 if with_symbol else 4
    if path == "/api/v3/openOrders" and method == "GET":
        return weights.open_orders_weight(with_symbol)
    if path == "/api/v3/myTrades":
        return weights.MY_TRADES_BY_ORDER if "orderId" in params else weights.MY_TRADES
    return WEIGHTS.get((method, path), 1)


# ------------------------------------------------------------------------ payloads

STATUS = {
    "new": "NEW",
    "partially_filled": "PARTIALLY_FILLED",
    "filled": "FILLED",
    "canceled": "CANCELED",
    "expired": "EXPIRED",
}
TYPES = {"limit": "LIMIT", "limit_maker": "LIMIT_MAKER", "market": "MARKET"}


def _interval(seconds: int) -> tuple[str, int]:
    if seconds % 86_400 == 0:
        return "DAY", seconds // 86_400
    if seconds % 60 == 0:
        return "MINUTE", seconds // 60
    return "SECOND", seconds


def rate_limits(weight_limit: int, weight_window: int, orders_per_10s: int) -> list[dict[str, Any]]:
    interval, count = _interval(weight_window)
    return [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": interval,
            "intervalNum": count,
            "limit": weight_limit,
        },
        {
            "rateLimitType": "ORDERS",
            "interval": "SECOND",
            "intervalNum": 10,
            "limit": orders_per_10s,
        },
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
    ]


def symbol_info(inst: Instrument) -> dict[str, Any]:
    return {
        "symbol": inst.venue_symbol,
        "status": "TRADING",
        "baseAsset": inst.base,
        "baseAssetPrecision": 8,
        "quoteAsset": inst.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"],
        "icebergAllowed": False,
        "ocoAllowed": False,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": number(inst.min_price),
                "maxPrice": number(inst.max_price),
                "tickSize": number(inst.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": number(inst.min_qty),
                "maxQty": number(inst.max_qty),
                "stepSize": number(inst.step_size),
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": number(inst.min_notional),
                "applyMinToMarket": True,
                "maxNotional": "9000000.00000000",
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "NONE",
        "allowedSelfTradePreventionModes": ["NONE"],
    }


def exchange_info(
    instruments: Sequence[Instrument],
    now: datetime,
    *,
    weight_limit: int,
    weight_window: int,
    orders_limit: int,
) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "serverTime": millis(now),
        "rateLimits": rate_limits(weight_limit, weight_window, orders_limit),
        "exchangeFilters": [],
        "symbols": [symbol_info(inst) for inst in instruments],
    }


def depth(book: OrderBook, update_id: int) -> dict[str, Any]:
    return {
        "lastUpdateId": update_id,
        "bids": [[number(level.price), number(level.quantity)] for level in book.bids],
        "asks": [[number(level.price), number(level.quantity)] for level in book.asks],
    }


def fill_entry(fill: Fill) -> dict[str, Any]:
    return {
        "price": number(fill.price),
        "qty": number(fill.quantity),
        "commission": number(fill.fee),
        "commissionAsset": fill.fee_asset,
        "tradeId": fill.trade_id,
    }


def order(o: PaperOrder, venue_symbol: str) -> dict[str, Any]:
    created, updated = millis(o.created_at), millis(o.updated_at or o.created_at)
    return {
        "symbol": venue_symbol,
        "orderId": o.order_id,
        "orderListId": -1,
        "clientOrderId": o.client_order_id,
        "price": number(o.price or Decimal(0)),
        "origQty": number(o.quantity),
        "executedQty": number(o.executed_quantity),
        "cummulativeQuoteQty": number(o.cumulative_quote),
        "status": STATUS[o.status],
        "timeInForce": o.time_in_force,
        "type": TYPES[o.type],
        "side": o.side.upper(),
        "stopPrice": number(Decimal(0)),
        "icebergQty": number(Decimal(0)),
        "time": created,
        "updateTime": updated,
        "isWorking": o.is_open,
        "workingTime": created,
        "origQuoteOrderQty": number(o.quote_quantity or Decimal(0)),
        "selfTradePreventionMode": "NONE",
    }


def new_order(o: PaperOrder, venue_symbol: str, response_type: str) -> dict[str, Any]:
    ack = {
        "symbol": venue_symbol,
        "orderId": o.order_id,
        "orderListId": -1,
        "clientOrderId": o.client_order_id,
        "transactTime": millis(o.created_at),
    }
    if response_type == "ACK":
        return ack
    full = order(o, venue_symbol)
    result = {
        **ack,
        **{k: full[k] for k in ("price", "origQty", "executedQty", "cummulativeQuoteQty")},
        **{k: full[k] for k in ("status", "timeInForce", "type", "side", "workingTime")},
        "selfTradePreventionMode": "NONE",
    }
    if response_type == "FULL":
        result["fills"] = [fill_entry(f) for f in o.fills]
    return result


def canceled_order(o: PaperOrder, venue_symbol: str, cancel_client_id: str) -> dict[str, Any]:
    full = order(o, venue_symbol)
    keep = ("price", "origQty", "executedQty", "cummulativeQuoteQty", "status")
    return {
        "symbol": venue_symbol,
        "origClientOrderId": o.client_order_id,
        "orderId": o.order_id,
        "orderListId": -1,
        "clientOrderId": cancel_client_id,
        "transactTime": millis(o.updated_at or o.created_at),
        **{k: full[k] for k in keep},
        "timeInForce": o.time_in_force,
        "type": full["type"],
        "side": full["side"],
        "selfTradePreventionMode": "NONE",
    }


def trade(fill: Fill, venue_symbol: str) -> dict[str, Any]:
    return {
        "symbol": venue_symbol,
        "id": fill.trade_id,
        "orderId": fill.order_id,
        "orderListId": -1,
        "price": number(fill.price),
        "qty": number(fill.quantity),
        "quoteQty": number(fill.quote_quantity),
        "commission": number(fill.fee),
        "commissionAsset": fill.fee_asset,
        "time": millis(fill.executed_at),
        "isBuyer": fill.side == "buy",
        "isMaker": fill.liquidity == "maker",
        "isBestMatch": True,
    }


def account(
    balances: dict[str, Balance],
    *,
    maker_fee: Decimal,
    taker_fee: Decimal,
    now: datetime,
    uid: int,
    omit_zero: bool,
) -> dict[str, Any]:
    rows = [
        {"asset": b.asset, "free": number(b.free), "locked": number(b.locked)}
        for b in balances.values()
        if not omit_zero or b.free > 0 or b.locked > 0
    ]
    return {
        "makerCommission": int(maker_fee * 10_000),
        "takerCommission": int(taker_fee * 10_000),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": number(maker_fee),
            "taker": number(taker_fee),
            "buyer": number(Decimal(0)),
            "seller": number(Decimal(0)),
        },
        "canTrade": True,
        "canWithdraw": False,
        "canDeposit": False,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": millis(now),
        "accountType": "SPOT",
        "balances": rows,
        "permissions": ["SPOT"],
        "uid": uid,
    }
