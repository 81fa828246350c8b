"""ccxt's unified structures parsed into exact domain types. Pure functions, no I/O.

ccxt's unified numeric fields are floats. Where the venue's raw response in ``info`` holds
the number as a decimal string (a venue profile's ``raw_fields`` say where), that string is
used. Otherwise a float is converted through ``repr``, the shortest text that reads back as
the same float: for a number the venue sent with at most 15 significant digits that text is
the venue's own number; a longer one loses its last digits. Nothing here ever does
arithmetic on a float.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rebalancer.domain.market import MarketRules, OrderBook, Quote
from rebalancer.domain.numbers import div
from rebalancer.venue.models import Balance, OrderStatus, VenueOrder, VenueTrade
from rebalancer.venue.raw_fields import BINANCE, Path, Raw, RawFields

# ccxt's precisionMode constants (ccxt.base.decimal_to_precision).
DECIMAL_PLACES = 2
TICK_SIZE = 4

_STATUSES: dict[str, OrderStatus] = {
    "open": "open",
    "closed": "closed",
    "canceled": "canceled",
    "cancelled": "canceled",
    "rejected": "rejected",
    "expired": "expired",
    # A cancel in flight is still an open order until the venue confirms it.
    "canceling": "open",
}


def to_decimal(value: Any) -> Decimal | None:
    """A venue number as Decimal: strings and ints exactly, floats through ``repr``."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    text = repr(value) if isinstance(value, float) else str(value).strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _first(*values: Any) -> Decimal | None:
    for value in values:
        number = to_decimal(value)
        if number is not None:
            return number
    return None


def _positive(value: Decimal | None) -> Decimal | None:
    return value if value is not None and value > 0 else None


def from_millis(value: Any) -> datetime | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    # A time past the platform's range is OverflowError or, from the C library, OSError
    # (EOVERFLOW): either way the venue sent no usable time.
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _binance_shaped(info: Any, key: str) -> Mapping[str, Any]:
    """A raw Binance record (it has ``key``), else nothing. For Binance's keys that are not
    numbers (ids, times): other venues' ``info`` may use those names for other things."""
    return info if isinstance(info, Mapping) and key in info else {}


def _at(record: Any, path: Path) -> Any:
    for key in path:
        if isinstance(key, int):
            record = record[key] if isinstance(record, list) and 0 <= key < len(record) else None
        else:
            record = record.get(key) if isinstance(record, Mapping) else None
    return record


def _raw_values(record: Any, raw: Raw) -> list[Any]:
    """What ``record`` holds at ``raw``'s paths, or nothing where its condition fails."""
    if raw.when and _at(record, raw.when) not in raw.values:
        return []
    return [_at(record, path) for path in raw.paths]


def _raw(record: Any, raw: Raw) -> Decimal | None:
    """The venue's own number for a field, or None: then ccxt's unified float is read."""
    return _first(*_raw_values(record, raw))


def _filters(info: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    rows = info.get("filters") or []
    return {str(f.get("filterType")): f for f in rows if isinstance(f, Mapping)}


def parse_market(market: Mapping[str, Any], precision_mode: int = TICK_SIZE) -> MarketRules:
    """Filters and fees of one ccxt market. Binance's raw filter strings win over floats."""
    info = market.get("info") or {}
    filters = _filters(info)
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}

    def from_precision(key: str) -> Decimal | None:
        value = precision.get(key)
        if value is None:
            return None
        if precision_mode == DECIMAL_PLACES:
            return Decimal(1).scaleb(-int(value))
        return to_decimal(value)

    tick = _positive(
        _first((filters.get("PRICE_FILTER") or {}).get("tickSize"), from_precision("price"))
    )
    step = _positive(
        _first((filters.get("LOT_SIZE") or {}).get("stepSize"), from_precision("amount"))
    )
    if tick is None or step is None:
        raise ValueError(f"market {market.get('symbol')}: no tick size or step size")
    notional = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL") or {}
    return MarketRules(
        symbol=str(market["symbol"]),
        base=str(market["base"]),
        quote=str(market["quote"]),
        tick_size=tick.normalize(),
        step_size=step.normalize(),
        min_qty=_first(
            (filters.get("LOT_SIZE") or {}).get("minQty"), (limits.get("amount") or {}).get("min")
        )
        or Decimal(0),
        min_notional=_first(
            notional.get("minNotional"),
            (limits.get("cost") or {}).get("min"),
            # Kraken's minimum order value, which older ccxt market data leaves out of limits.
            info.get("costmin"),
        )
        or Decimal(0),
        maker_fee=_first(market.get("maker")) or Decimal(0),
        taker_fee=_first(market.get("taker")) or Decimal(0),
    )


def parse_markets(
    markets: Mapping[str, Mapping[str, Any]], precision_mode: int = TICK_SIZE
) -> dict[str, MarketRules]:
    """Active spot markets by unified symbol."""
    return {
        symbol: parse_market(market, precision_mode)
        for symbol, market in markets.items()
        if market.get("spot", True) and market.get("active", True) is not False
    }


def _levels(rows: Iterable[Any]) -> list[tuple[Decimal, Decimal]]:
    levels: list[tuple[Decimal, Decimal]] = []
    for row in rows:
        if not isinstance(row, list | tuple) or len(row) < 2:
            raise ValueError(f"book level {row!r} is not [price, quantity]")
        price, quantity = to_decimal(row[0]), to_decimal(row[1])
        if price is not None and quantity is not None and price > 0 and quantity > 0:
            levels.append((price, quantity))
    return levels


def parse_order_book(book: Mapping[str, Any]) -> OrderBook:
    return OrderBook.from_pairs(_levels(book.get("bids") or []), _levels(book.get("asks") or []))


def parse_quote(ticker: Mapping[str, Any]) -> Quote:
    info = ticker.get("info") or {}
    bid = _positive(_first(info.get("bidPrice"), ticker.get("bid")))
    ask = _positive(_first(info.get("askPrice"), ticker.get("ask")))
    last = _positive(_first(info.get("lastPrice"), ticker.get("last"), ticker.get("close")))
    if bid is None or ask is None or bid > ask:
        bid = ask = None
    return Quote(bid=bid, ask=ask, last=last)


_BALANCE_KEYS = {"info", "free", "used", "total", "debt", "timestamp", "datetime"}


def _balance_rows(info: Any, raw_fields: RawFields) -> dict[str, Any]:
    """The raw row of each asset id that is in exactly one row."""
    rows = _at(info, raw_fields.balance_rows) if raw_fields.balance_rows else None
    by_id: dict[str, list[Any]] = {}
    for row in rows if isinstance(rows, list) else ():
        asset = _at(row, raw_fields.balance_asset)
        if isinstance(asset, str):
            by_id.setdefault(asset, []).append(row)
    # ccxt sums the rows of one currency (Coinbase keeps a wallet per account type): no single
    # raw string is that sum, so ccxt's stays.
    return {asset: found[0] for asset, found in by_id.items() if len(found) == 1}


def parse_balances(
    balance: Mapping[str, Any], *, raw_fields: RawFields = BINANCE
) -> dict[str, Balance]:
    """Free and locked per asset; assets with nothing in them are left out."""
    rows = _balance_rows(balance.get("info"), raw_fields)
    result: dict[str, Balance] = {}
    for asset, entry in balance.items():
        if asset in _BALANCE_KEYS or not isinstance(entry, Mapping):
            continue
        row = rows.get(asset)
        free = _first(_raw(row, raw_fields.balance_free), entry.get("free")) or Decimal(0)
        used = _first(_raw(row, raw_fields.balance_used), entry.get("used")) or Decimal(0)
        if free or used:
            result[asset] = Balance(asset=asset, free=free, locked=used)
    return result


def parse_order(
    order: Mapping[str, Any],
    *,
    client_order_id: str | None = None,
    now: datetime | None = None,
    asked: Mapping[str, Any] | None = None,
    raw_fields: RawFields = BINANCE,
) -> VenueOrder:
    """A ccxt order. ``client_order_id`` stands in when the venue's response lacks one, and
    ``asked`` (symbol, side, amount, price of a placement) for an acknowledgement that
    carries ids only: such an order is open and unfilled, as asked. ``raw_fields`` are the
    venue profile's (Binance's when no venue is named)."""
    info = order.get("info")
    binance = _binance_shaped(info, "origQty")
    asked = asked or {}
    status = _STATUSES.get(str(order.get("status")), "open")
    amount = _first(_raw(info, raw_fields.order_amount), order.get("amount"), asked.get("amount"))
    filled = _first(_raw(info, raw_fields.order_filled), order.get("filled")) or Decimal(0)
    price = _positive(
        _first(_raw(info, raw_fields.order_price), order.get("price"), asked.get("price"))
    )
    cost = _first(_raw(info, raw_fields.order_cost), order.get("cost"))
    average = _positive(_raw(info, raw_fields.order_average))
    if average is None:
        if filled > 0 and cost is not None and cost > 0:
            average = div(cost, filled)
        else:
            average = _positive(_first(order.get("average")))
    created = (
        from_millis(order.get("timestamp"))
        or from_millis(binance.get("time") or binance.get("transactTime"))
        or now
        or datetime.now(UTC)
    )
    updated = from_millis(order.get("lastUpdateTimestamp") or binance.get("updateTime"))
    client = binance.get("origClientOrderId") or order.get("clientOrderId") or client_order_id
    if amount is None or amount <= 0:
        raise ValueError(f"order {order.get('id')}: no positive amount")
    return VenueOrder(
        client_order_id=str(client or ""),
        venue_order_id=str(order["id"]),
        symbol=str(order.get("symbol") or asked["symbol"]),
        side=order.get("side") or asked["side"],
        amount=amount,
        price=price,
        status=status,
        filled=filled,
        average=average,
        created_at=created,
        updated_at=updated,
    )


def parse_trade(
    trade: Mapping[str, Any],
    *,
    client_order_id: str | None = None,
    now: datetime | None = None,
    raw_fields: RawFields = BINANCE,
) -> VenueTrade:
    info = trade.get("info")
    binance = _binance_shaped(info, "commissionAsset")
    fee = trade.get("fee") or {}
    amount = _first(_raw(info, raw_fields.trade_amount), trade.get("amount"))
    price = _first(_raw(info, raw_fields.trade_price), trade.get("price"))
    if amount is None or price is None:
        raise ValueError(f"trade {trade.get('id')}: no amount or price")
    fee_asset = next((v for v in _raw_values(info, raw_fields.trade_fee_currency) if v), None)
    role = trade.get("takerOrMaker")
    return VenueTrade(
        trade_id=str(trade["id"]),
        venue_order_id=str(trade.get("order") or binance.get("orderId") or ""),
        client_order_id=client_order_id,
        symbol=str(trade["symbol"]),
        side=trade["side"],
        amount=amount,
        price=price,
        fee=_first(_raw(info, raw_fields.trade_fee), fee.get("cost")) or Decimal(0),
        fee_asset=str(fee_asset or fee.get("currency") or ""),
        taker_or_maker=role if role in ("taker", "maker") else None,
        executed_at=from_millis(trade.get("timestamp")) or now or datetime.now(UTC),
    )
