"""Real daily bars: the ``<ASSET>-USD.daily.csv`` files (Date,low,high,open,close,volume).

The bundled copies live in ``rebalancer/paper/data`` (see SOURCE.md there). Prices are read
as Decimal from the file's own text; a missing day is filled by ``fill_gaps`` with a flat
bridge from the previous close to the next open, flagged ``synthetic``.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pydantic import model_validator

from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.market import Frozen
from rebalancer.domain.numbers import NonNegDec, PosDec

DATA_DIR = Path(__file__).parent / "data"
COLUMNS = ("Date", "low", "high", "open", "close", "volume")


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
        handle = path.open(encoding="utf-8", newline="")
    except OSError as error:
        raise InvalidInput(str(path), f"cannot read daily bars: {error.strerror}") from None
    bars: list[DailyBar] = []
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise InvalidInput(str(path), f"missing columns {missing}; expected {list(COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            try:
                bars.append(_bar(row))
            except (ValueError, InvalidOperation) as error:
                raise InvalidInput(f"{path.name}:{line}", str(error)) from None
    bars.sort(key=lambda bar: bar.day)
    for before, after in itertools.pairwise(bars):
        if before.day == after.day:
            raise InvalidInput(path.name, f"day {after.day} appears twice")
    return bars


def _bar(row: dict[str, str]) -> DailyBar:
    low, high, open_, close = (Decimal(row[c].strip()) for c in ("low", "high", "open", "close"))
    # Exchange candles occasionally print an open or close a hair outside the day's range;
    # the range is widened to hold them rather than refusing the day.
    return DailyBar(
        day=date.fromisoformat(row["Date"].strip()),
        open=open_,
        high=max(high, open_, close),
        low=min(low, open_, close),
        close=close,
        volume=Decimal(row["volume"].strip() or "0"),
    )


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
