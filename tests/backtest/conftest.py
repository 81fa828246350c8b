"""Small markets for backtest tests: a few days of bars written to a temporary directory."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.backtest.experiment import Portfolio
from rebalancer.backtest.markets import instruments_for
from rebalancer.paper.instruments import Instrument

TARGETS = {
    "BTC": Decimal("0.4"),
    "ETH": Decimal("0.3"),
    "LINK": Decimal("0.1"),
    "USDT": Decimal("0.2"),
}
# The portfolio a test's jobs run: TARGETS in USDT, 100,000 to start, checked hourly.
PORTFOLIO = Portfolio(TARGETS, "USDT", Decimal(100_000), timedelta(hours=1))
START_PRICES = {"BTC": Decimal("40000"), "ETH": Decimal("2500"), "LINK": Decimal("15")}

BarWriter = Callable[[date, int, Iterable[date], Decimal], Path]


@pytest.fixture
def instruments() -> tuple[Instrument, ...]:
    return instruments_for(["BTC", "ETH", "LINK"], Decimal("0.001"), Decimal("0.001"))


@pytest.fixture
def write_bars(tmp_path: Path) -> BarWriter:
    """Daily bars for BTC, ETH, LINK: ``days`` from ``first``, less ``missing``.

    Prices move by a fixed step a day (up, up, down, ...); ``range_fraction`` 0 makes every
    day flat (open = high = low = close), so nothing moves within a day.
    """

    def write(first: date, days: int, missing: Iterable[date], range_fraction: Decimal) -> Path:
        skip = set(missing)
        for asset, start in START_PRICES.items():
            lines = ["Date,low,high,open,close,volume"]
            price = start
            for i in range(days):
                day = first + timedelta(days=i)
                close = price * (Decimal("1.03") if i % 3 != 2 else Decimal("0.96"))
                if asset == "ETH":
                    close = price * (Decimal("0.98") if i % 2 else Decimal("1.05"))
                if range_fraction == 0:
                    open_ = high = low = close
                else:
                    open_ = price
                    high = max(open_, close) * (1 + range_fraction)
                    low = min(open_, close) * (1 - range_fraction)
                if day not in skip:
                    lines.append(f"{day},{low:.6f},{high:.6f},{open_:.6f},{close:.6f},100")
                price = close
            (tmp_path / f"{asset}-USD.daily.csv").write_text("\n".join(lines) + "\n")
        return tmp_path

    return write
