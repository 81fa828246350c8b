"""The replay's ticks suit the price level it replays: today's Binance ticks on today's prices,
finer ones where the bars sit far below them (a replay of LINK at 0.35 USDT)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from rebalancer.backtest.calibration import MAX_TICK_FRACTION, tick_for
from rebalancer.backtest.markets import LISTED_TICKS, market_spec
from rebalancer.paper.instruments import Instrument

PRICES = {"BTC": Decimal("3700"), "ETH": Decimal("135"), "LINK": Decimal("0.35")}


def _write_flat_bars(
    folder: Path, first: date, days: int, prices: dict[str, Decimal] = PRICES
) -> Path:
    """Bars a few percent either side of ``prices``, every day."""
    for asset, price in prices.items():
        lines = ["Date,low,high,open,close,volume"]
        for i in range(days):
            low, high = price * Decimal("0.97"), price * Decimal("1.03")
            lines.append(f"{first + timedelta(days=i)},{low},{high},{price},{price},100")
        (folder / f"{asset}-USD.daily.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_the_bundled_bars_keep_binance_listed_ticks(instruments: tuple[Instrument, ...]) -> None:
    market = market_spec("replay", instruments, seed=1, first=None, last=None)
    assert {i.base: i.tick_size for i in market.instruments} == LISTED_TICKS
    assert all(i.level_spacing == i.tick_size for i in market.instruments)
    assert "ticks set" not in market.describe()


def test_a_replay_far_below_todays_prices_gets_finer_ticks(
    instruments: tuple[Instrument, ...], tmp_path: Path
) -> None:
    data = _write_flat_bars(tmp_path, date(2019, 1, 1), 5)
    market = market_spec("replay", instruments, seed=1, first=None, last=None, data_dir=data)
    ticks = {i.base: i.tick_size for i in market.instruments}
    # 0.001 is 29 bps of LINK's 0.3395 low; 0.0001 is 2.9. BTC's and ETH's 0.01 stay.
    assert ticks == {"BTC": Decimal("0.01"), "ETH": Decimal("0.01"), "LINK": Decimal("0.0001")}
    link = next(i for i in market.instruments if i.base == "LINK")
    assert link.level_spacing == link.min_price == Decimal("0.0001")
    assert "ticks set for the price level: LINK 0.0001" in market.describe()
    # The largest order keeps its notional a decade down: 900,000 LINK at 0.35 would be
    # 315,000 USDT, and the account's tenth of 100,000 in LINK fits; 9,000,000 keeps room.
    assert {i.base: i.max_qty for i in market.instruments} == {
        "BTC": Decimal("90000"),
        "ETH": Decimal("1000000"),
        "LINK": Decimal("9000000"),
    }
    assert all(i.max_price == Decimal("1000000") for i in market.instruments)

    # The book a policy meets there: a tick either side of a mid on the grid, 5.7 bps, where
    # the listed tick made it 57.
    venue = market.venue()
    quote = venue.quote("LINK/USDT", market.start)
    assert (quote.bid, quote.ask) == (Decimal("0.3499"), Decimal("0.3501"))


def test_a_replay_above_todays_price_filter_raises_it(
    instruments: tuple[Instrument, ...], tmp_path: Path
) -> None:
    prices = {"BTC": Decimal("2000000"), "ETH": Decimal("2300"), "LINK": Decimal("15")}
    data = _write_flat_bars(tmp_path, date(2031, 1, 1), 5, prices)
    market = market_spec("replay", instruments, seed=1, first=None, last=None, data_dir=data)
    limits = {i.base: (i.max_price, i.max_qty, i.tick_size) for i in market.instruments}
    # BTC's highest, 2,060,000, would be refused by a 1,000,000 PRICE_FILTER: ten times it
    # is under 1e8. The others are where Binance lists them today.
    assert limits == {
        "BTC": (Decimal("1E+8"), Decimal("9000"), Decimal("0.01")),
        "ETH": (Decimal("1000000"), Decimal("100000"), Decimal("0.01")),
        "LINK": (Decimal("1000000"), Decimal("900000"), Decimal("0.001")),
    }
    venue = market.venue()
    bid = venue.quote("BTC/USDT", market.start).bid
    assert bid is not None
    assert bid > Decimal("1000000")


@given(
    listed=st.sampled_from([Decimal("0.01"), Decimal("0.001"), Decimal("1")]),
    lowest=st.decimals(min_value=Decimal("1e-9"), max_value=Decimal("1e7"), places=9),
)
def test_tick_for_is_the_listed_tick_over_the_fewest_tens_that_suit_the_price(
    listed: Decimal, lowest: Decimal
) -> None:
    tick = tick_for(listed, lowest)
    ratio = listed / tick
    assert ratio == Decimal(10) ** (len(str(int(ratio))) - 1)  # a power of ten, 1 included
    assert tick <= lowest * MAX_TICK_FRACTION
    # The fewest: one tenth fewer and it would be too coarse (unless it is the listed one).
    assert tick == listed or tick * 10 > lowest * MAX_TICK_FRACTION
