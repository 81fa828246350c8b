"""Where a venue's own decimal strings are in ccxt's ``info``, unified field by unified field.

ccxt's unified numbers are floats, which keep 15 to 17 significant digits; the venue sent
text. A ``RawFields`` names the keys of that text so that ``ccxt_parse`` can read the venue's
digits instead of the float's. Data only: each venue profile states its own, the parser reads
it. A key is named only where it means exactly what ccxt's unified field means.
"""

from __future__ import annotations

from dataclasses import dataclass

# Keys into nested records: a str into a mapping, an int into a list.
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Raw:
    """One unified field: the first of ``paths`` holding a number. With ``when``, only if the
    record holds one of ``values`` there (a missing key reads as None): elsewhere the key
    means something else, such as a size in quote currency."""

    paths: tuple[Path, ...] = ()
    when: Path = ()
    values: tuple[object, ...] = ()


def at(*paths: str | Path, when: str | Path = (), values: tuple[object, ...] = ()) -> Raw:
    """A ``Raw`` from keys (``"origQty"``) or paths into nested records (``("hold", "value")``)."""
    return Raw(tuple(_path(p) for p in paths), _path(when), values)


def _path(key: str | Path) -> Path:
    return (key,) if isinstance(key, str) else key


NOWHERE = Raw()


@dataclass(frozen=True)
class RawFields:
    """A field left ``NOWHERE`` is read from ccxt's unified float, as is any field whose raw
    text is missing or not a number."""

    # Orders: ordered and executed base quantity, limit price, executed quote value, average
    # fill price.
    order_amount: Raw = NOWHERE
    order_filled: Raw = NOWHERE
    order_price: Raw = NOWHERE
    order_cost: Raw = NOWHERE
    order_average: Raw = NOWHERE
    trade_amount: Raw = NOWHERE
    trade_price: Raw = NOWHERE
    trade_fee: Raw = NOWHERE
    # Not a number: the venue's own asset name, which ccxt may rename (Binance YOYO is YOYOW).
    trade_fee_currency: Raw = NOWHERE
    # Balances: the list of per-asset rows in ``info`` and each row's asset id. A row counts
    # for ccxt's entry of the same name if no other row has that id (ccxt sums a currency's
    # rows and renames some ids); ``balance_free`` and ``balance_used`` are read in the row.
    balance_rows: Path = ()
    balance_asset: Path = ()
    balance_free: Raw = NOWHERE
    balance_used: Raw = NOWHERE


# Binance spot (api/v3) sends every number as a decimal string. The paper venue speaks the
# same dialect, so this is also what the parsers read when no venue is named.
BINANCE = RawFields(
    order_amount=at("origQty"),
    order_filled=at("executedQty"),
    order_price=at("price"),
    order_cost=at("cummulativeQuoteQty"),
    trade_amount=at("qty"),
    trade_price=at("price"),
    trade_fee=at("commission"),
    trade_fee_currency=at("commissionAsset"),
    balance_rows=("balances",),
    balance_asset=("asset",),
    balance_free=at("free"),
    balance_used=at("locked"),
)
