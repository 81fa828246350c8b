"""Daily bars from files as they come from elsewhere: read when they only look different, and
refused, with file, line, column and rule, when a cell is wrong."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.domain.errors import InvalidInput
from rebalancer.paper.daily_bars import load_daily_bars

OURS = "Date,low,high,open,close,volume\n2021-01-01,9,12,10,11,5\n2021-01-02,10,13,11,12,6\n"
ALIKE = {
    "a byte-order mark": "\ufeff" + OURS,
    "Windows line ends": OURS.replace("\n", "\r\n"),
    "capitalised, reordered, no volume": (
        "Date,Open,High,Low,Close\n2021-01-01,10,12,9,11\n2021-01-02,11,13,10,12\n"
    ),
    "midnight times": OURS.replace("-01,", "-01 00:00:00,").replace("-02,", "-02T00:00:00Z,"),
    "blank lines and padding": OURS.replace("\n", "\n\n").replace(",", " , "),
    "newest first": "Date,low,high,open,close,volume\n"
    + "\n".join(reversed(OURS.strip().splitlines()[1:]))
    + "\n",
}
REFUSED = {
    "a word for a price": ("2021-01-01,9,twelve,10,11,5", "high", "not a number ('twelve')"),
    "NaN": ("2021-01-01,nan,12,10,11,5", "low", "finite"),
    "a zero price": ("2021-01-01,0,12,10,11,5", "low", "between 0.00000001 and 1000000000"),
    "a price of 1e300": ("2021-01-01,9,1e300,10,11,5", "high", "between"),
    "a short row": ("2021-01-01,9,12", "open", "missing"),
    "negative volume": ("2021-01-01,9,12,10,11,-5", "volume", "must not be negative"),
    "not a day": ("01/02/2021,9,12,10,11,5", "Date", "not a day YYYY-MM-DD"),
    "a day at noon": ("2021-01-01T12:00:00,9,12,10,11,5", "Date", "starts at 00:00 UTC"),
}


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "BTC-USD.daily.csv"
    path.write_text(text, encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize("case", sorted(ALIKE))
def test_a_file_that_only_looks_different_gives_the_same_bars(case: str, tmp_path: Path) -> None:
    ours = load_daily_bars(_file(tmp_path, OURS))
    theirs = load_daily_bars(_file(tmp_path, ALIKE[case]))
    keep = ("day", "open", "high", "low", "close")
    assert [b.model_dump(include=set(keep)) for b in theirs] == [
        b.model_dump(include=set(keep)) for b in ours
    ]
    assert theirs[0].day == date(2021, 1, 1)
    assert theirs[0].close == Decimal("11")


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_bad_cell_is_refused_with_its_line_column_and_rule(case: str, tmp_path: Path) -> None:
    row, column, rule = REFUSED[case]
    text = "Date,low,high,open,close,volume\n2020-12-31,9,12,10,11,5\n" + row + "\n"
    with pytest.raises(InvalidInput) as refused:
        load_daily_bars(_file(tmp_path, text))
    assert refused.value.field == f"BTC-USD.daily.csv:3: {column}"
    assert rule in refused.value.rule
    assert "\n" not in str(refused.value)
