"""Real daily bars: the ``<ASSET>-USD.daily.csv`` files (Date,low,high,open,close,volume).

The bundled copies live in ``rebalancer/paper/data`` (see SOURCE.md there). Prices are read
as Decimal from the file's own text; a missing day is filled by ``fill_gaps`` with a flat
bridge from the previous close to the next open, flagged ``synthetic``.

Files from elsewhere are read as they usually come: column names in any case and order
(``Date,Open,High,Low,Close,Volume``), volume optional, a byte-order mark (a spreadsheet's
UTF-8 export), and a day written as a date or as midnight of it (``2021-01-01 00:00:00``).
A bad cell is refused with its file, line and column, and the rule it broke. Prices must
lie between ``MIN_PRICE`` and ``MAX_PRICE``: the matching engine counts price levels in
exact decimals of the context's precision, which a price of 1e300 overflows.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pydantic import model_validator

from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.market import Frozen
from rebalancer.domain.numbers import NonNegDec, PosDec, plain

DATA_DIR = Path(__file__).parent / "data"
COLUMNS = ("Date", "low", "high", "open", "close", "volume")
PRICES = ("low", "high", "open", "close")
REQUIRED = ("Date", *PRICES)
MIN_PRICE = Decimal("1e-8")
MAX_PRICE = Decimal("1e9")


class DailyBar(Frozen):
    day: date
    open: PosDec
    high: PosDec
    low: PosDec
    close: PosDec
    volume: NonNegDec = Decimal(0)
    synthetic: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> DailyBar:
        if self.low > min(self.open, self.close) or self.high < max(self.open, self.close):
            raise ValueError("low must be <= open, close <= high")
        return self


def bars_file(asset: str, data_dir: Path | None = None) -> Path:
    return (data_dir or DATA_DIR) / f"{asset.upper()}-USD.daily.csv"


def load_daily_bars(path: Path) -> list[DailyBar]:
    """Bars sorted by day. Refuses a malformed row with its line number and column."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise InvalidInput(str(path), f"cannot read daily bars: {error.strerror}") from None
    bars: list[DailyBar] = []
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, [])
            names = {name.strip().lower(): index for index, name in enumerate(header)}
            missing = [c for c in REQUIRED if c.lower() not in names]
            if missing:
                raise InvalidInput(
                    str(path),
                    f"missing columns {missing}; expected {list(REQUIRED)}, volume optional",
                )
            columns = {c: names.get(c.lower()) for c in COLUMNS}
            for line, cells in enumerate(reader, start=2):
                if not any(cell.strip() for cell in cells):
                    continue
                bars.append(_bar(cells, columns, f"{path.name}:{line}"))
        except (csv.Error, UnicodeDecodeError) as error:
            raise InvalidInput(str(path), f"not a CSV file of daily bars ({error})") from None
    bars.sort(key=lambda bar: bar.day)
    for before, after in itertools.pairwise(bars):
        if before.day == after.day:
            raise InvalidInput(path.name, f"day {after.day} appears twice")
    return bars


def _bar(cells: list[str], columns: dict[str, int | None], where: str) -> DailyBar:
    def cell(name: str) -> str:
        index = columns[name]
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    low, high, open_, close = (_price(cell(c), c, where) for c in PRICES)
    volume = _number(cell("volume") or "0", "volume", where)
    if volume < 0:
        raise InvalidInput(f"{where}: volume", "must not be negative")
    # Exchange candles occasionally print an open or close a hair outside the day's range;
    # the range is widened to hold them rather than refusing the day.
    return DailyBar(
        day=_day(cell("Date"), where),
        open=open_,
        high=max(high, open_, close),
        low=min(low, open_, close),
        close=close,
        volume=volume,
    )


def _number(text: str, column: str, where: str) -> Decimal:
    if not text:
        raise InvalidInput(f"{where}: {column}", "missing")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"{where}: {column}", f"not a number ({text[:24]!r})") from None
    if not value.is_finite():
        raise InvalidInput(f"{where}: {column}", f"must be a finite number, not {text[:24]!r}")
    return value


def _price(text: str, column: str, where: str) -> Decimal:
    value = _number(text, column, where)
    if not MIN_PRICE <= value <= MAX_PRICE:
        raise InvalidInput(
            f"{where}: {column}",
            f"a price must lie between {plain(MIN_PRICE)} and {plain(MAX_PRICE)}",
        )
    return value


def _day(text: str, where: str) -> date:
    if not text:
        raise InvalidInput(f"{where}: Date", "missing")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{where}: Date", f"not a day YYYY-MM-DD ({text[:24]!r})") from None
    if moment.timetz().replace(tzinfo=None) != time(0) or (
        moment.utcoffset() not in (None, timedelta(0))
    ):
        raise InvalidInput(f"{where}: Date", "a daily bar starts at 00:00 UTC")
    return moment.date()


def load_asset_bars(asset: str, data_dir: Path | None = None) -> list[DailyBar]:
    return load_daily_bars(bars_file(asset, data_dir))


def fill_gaps(bars: Sequence[DailyBar]) -> list[DailyBar]:
    """Every calendar day from first to last; a missing day bridges close to next open."""
    filled: list[DailyBar] = []
    for bar in bars:
        if filled:
            start, end = filled[-1].close, bar.open
            day = filled[-1].day + timedelta(days=1)
            while day < bar.day:
                filled.append(
                    DailyBar(
                        day=day,
                        open=start,
                        high=max(start, end),
                        low=min(start, end),
                        close=end,
                        synthetic=True,
                    )
                )
                start = end
                day += timedelta(days=1)
        filled.append(bar)
    return filled
