"""Which market a backtest replays: real daily bars or a simulated regime, over which days.

Every policy in a run gets its own ``PaperVenue`` built from the same ``MarketSpec``: the
price paths are a function of the seed alone, so every policy sees the same prices, while
the liquidity its own orders consume stays its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from rebalancer.backtest.calibration import binance_spot
from rebalancer.backtest.resampling import block_bootstrap
from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.numbers import plain
from rebalancer.paper.daily_bars import (
    DATA_DIR,
    DailyBar,
    bars_file,
    fill_gaps,
    load_asset_bars,
)
from rebalancer.paper.instruments import DEFAULT_INSTRUMENTS, Instrument
from rebalancer.paper.scenarios import SCENARIOS
from rebalancer.paper.seeding import derive_seed
from rebalancer.paper.venue import PaperVenue, build_venue

REPLAY = "replay"
SIMULATED = ("calm", "volatile", "crash", "thin")
MARKETS = (REPLAY, *SIMULATED)
# Where simulated paths begin when no --start is given; any date would do.
SIMULATED_START = date(2024, 1, 1)
SIMULATED_DAYS = 365
# The latent path's resolution; the matching engine interpolates between points. Five
# minutes keeps a long replay fast while resting orders still see the path move.
PATH_STEP = timedelta(minutes=5)
# Binance's ticks as listed today; a replay far below today's prices uses finer ones.
LISTED_TICKS = {inst.base: inst.tick_size for inst in DEFAULT_INSTRUMENTS}


@dataclass(frozen=True)
class MarketSpec:
    """A market and a period: days ``first`` to ``last`` inclusive, UTC."""

    name: str
    first: date
    last: date
    seed: int
    data_dir: Path | None = None
    instruments: tuple[Instrument, ...] = DEFAULT_INSTRUMENTS
    # Days in the period that the data lacks; the replay bridges them (``fill_gaps``).
    missing_days: tuple[date, ...] = field(default=())
    # A block-bootstrapped history (``resampling``) instead of the real one, with intraday
    # paths of its own seed: days drawn from ``source`` (first, last), the period's own
    # days unless it is a shorter window.
    resample: int | None = None
    source: tuple[date, date] | None = None

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def replay(self) -> bool:
        return self.name == REPLAY

    def venue(self) -> PaperVenue:
        bars = (
            {i.base: list(_bars(i.base, self.data_dir)) for i in self.instruments}
            if self.replay
            else None
        )
        seed = self.seed
        if self.resample is not None:
            assert bars is not None
            bars = block_bootstrap(bars, self.first, self.last, seed=seed, resample=self.resample)
            seed = derive_seed(seed, "resample", self.resample)
        return build_venue(
            self.name,
            seed=seed,
            start=self.start,
            instruments=self.instruments,
            data_dir=self.data_dir,
            path_step=PATH_STEP,
            bars=bars,
        )

    def resampled(self, index: int, days: int | None = None) -> MarketSpec:
        """A history block-bootstrapped from this period's days (replay only), ``days``
        long from the period's first day (the period's own length unless given)."""
        if not self.replay:
            raise ValueError("only a replay of real bars can be resampled")
        length = min(days or self.days, self.days)
        return replace(
            self,
            resample=index,
            source=(self.first, self.last),
            last=self.first + timedelta(days=length - 1),
            missing_days=(),
        )

    def describe(self) -> str:
        if self.resample is not None and self.source is not None:
            first, last = self.source
            return (
                f"resample {self.resample} ({self.days} days drawn in blocks from "
                f"{first} to {last}) of "
                + replace(self, resample=None, source=None, first=first, last=last).describe()
            )
        source = (
            f"real daily bars from {self.data_dir or DATA_DIR}"
            if self.replay
            else (f"simulated '{self.name}': {SCENARIOS[self.name].description}")
        )
        retick = [
            f"{i.base} {plain(i.tick_size)}"
            for i in self.instruments
            if self.replay and i.base in LISTED_TICKS and i.tick_size != LISTED_TICKS[i.base]
        ]
        note = f"; ticks set for the price level: {', '.join(retick)}" if retick else ""
        return f"{source}; {self.first} to {self.last} ({self.days} days), seed {self.seed}{note}"


def _bars(asset: str, data_dir: Path | None) -> tuple[DailyBar, ...]:
    """An asset's bars, read once a process while its file is unchanged: every job of a
    study replays the same files (bars are frozen, so the runs can share them)."""
    try:
        status = bars_file(asset, data_dir).stat()
    except OSError:
        return tuple(load_asset_bars(asset, data_dir))  # refused with the reader's message
    return _read_bars(asset, data_dir, status.st_mtime_ns, status.st_size)


@cache
def _read_bars(asset: str, data_dir: Path | None, mtime: int, size: int) -> tuple[DailyBar, ...]:
    return tuple(load_asset_bars(asset, data_dir))


def instruments_for(
    assets: list[str], maker_fee: Decimal, taker_fee: Decimal
) -> tuple[Instrument, ...]:
    """The paper instruments for ``assets``, with the run's fees (the same for every policy)."""
    known = {inst.base: inst for inst in DEFAULT_INSTRUMENTS}
    chosen: list[Instrument] = []
    for asset in assets:
        if asset not in known:
            names = ", ".join(sorted(known))
            raise InvalidInput("--targets", f"no paper instrument for {asset}; choose from {names}")
        chosen.append(
            known[asset].model_copy(update={"maker_fee": maker_fee, "taker_fee": taker_fee})
        )
    return tuple(chosen)


def market_spec(
    name: str,
    instruments: tuple[Instrument, ...],
    *,
    seed: int,
    first: date | None,
    last: date | None,
    data_dir: Path | None = None,
) -> MarketSpec:
    """Resolve the period: the data's common range for a replay, a year for a simulation."""
    if name not in MARKETS:
        raise InvalidInput("--market", f"unknown market {name!r}; choose one of {list(MARKETS)}")
    if name != REPLAY:
        if data_dir is not None:
            raise InvalidInput("--data", f"real bars replay only; --market {name} is simulated")
        first = first or SIMULATED_START
        last = last or first + timedelta(days=SIMULATED_DAYS - 1)
        _check_order(first, last)
        return MarketSpec(name, first, last, seed, None, instruments)
    available_first, available_last, present = _coverage(instruments, data_dir)
    if first is not None and first > available_last:
        raise InvalidInput("--start", f"{first} is after the data ends ({available_last})")
    if last is not None and last < available_first:
        raise InvalidInput("--end", f"{last} is before the data begins ({available_first})")
    first = first or available_first
    last = last or available_last
    _check_order(first, last)
    if first < available_first:
        raise InvalidInput("--start", f"{first} is before the data begins ({available_first})")
    if last > available_last:
        raise InvalidInput("--end", f"{last} is after the data ends ({available_last})")
    instruments = binance_spot(instruments, _ranges(instruments, data_dir, first, last))
    missing = tuple(
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if first + timedelta(days=i) not in present
    )
    return MarketSpec(name, first, last, seed, data_dir, instruments, missing)


def _ranges(
    instruments: tuple[Instrument, ...], data_dir: Path | None, first: date, last: date
) -> dict[str, tuple[Decimal, Decimal]]:
    """Each asset's lowest low and highest high from ``first`` to ``last``: the price levels
    its filters must suit."""
    ranges: dict[str, tuple[Decimal, Decimal]] = {}
    for inst in instruments:
        bars = [bar for bar in _bars(inst.base, data_dir) if first <= bar.day <= last]
        if bars:
            ranges[inst.base] = (min(b.low for b in bars), max(b.high for b in bars))
    return ranges


def _check_order(first: date, last: date) -> None:
    if last < first:
        raise InvalidInput("--end", f"{last} is before --start {first}")


def _coverage(
    instruments: tuple[Instrument, ...], data_dir: Path | None
) -> tuple[date, date, set[date]]:
    """Days every asset has data for (first, last), and the days all of them have a bar."""
    if data_dir is not None and not data_dir.is_dir():
        raise InvalidInput("--data", f"{data_dir} is not a directory")
    firsts: list[date] = []
    lasts: list[date] = []
    present: set[date] | None = None
    for inst in instruments:
        if data_dir is not None and not bars_file(inst.base, data_dir).is_file():
            raise InvalidInput("--data", f"{data_dir} has no {bars_file(inst.base, data_dir).name}")
        bars = _bars(inst.base, data_dir)
        if not bars:
            raise InvalidInput("--data", f"{bars_file(inst.base, data_dir).name} has no rows")
        firsts.append(bars[0].day)
        lasts.append(bars[-1].day)
        days = {bar.day for bar in fill_gaps(bars) if not bar.synthetic}
        present = days if present is None else present & days
    first, last = max(firsts), min(lasts)
    if last < first:
        raise InvalidInput("--data", "the assets' files share no common days")
    return first, last, present or set()
