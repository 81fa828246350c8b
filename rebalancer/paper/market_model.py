"""One symbol's market: the mid from a price path, a volatility estimate, and the background
L2 book that everyone else displays.

The background book is a function of the state, not a stored object: levels sit on the
instrument's ``level_spacing`` grid outward from a best bid and ask set by the spread; each
level holds the baseline quantity, growing with distance, times a per-price factor that is
fixed for the seed (so a level keeps its size, and an order its queue, while the mid wobbles).
Volatility widens the spread and thins the levels. The matching engine subtracts what trades
consumed; this module never changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Literal, NamedTuple

from rebalancer.domain.market import MarketRules, OrderBook
from rebalancer.paper.instruments import Instrument
from rebalancer.paper.price_paths import PricePath, to_decimal
from rebalancer.paper.scenarios import Liquidity
from rebalancer.paper.seeding import derive_seed, unit_hash

BookSide = Literal["bid", "ask"]
# A single order never walks further than this many background levels.
MAX_WALK_LEVELS = 1000
# Levels whose price and size factor are kept: the price moves through a few hundred a
# day, and a three-year replay through some hundred thousand (a fine grid's every one).
LEVEL_CACHE = 4096


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


_ONE = Decimal(1)


def to_grid(value: Decimal, grid: Decimal, rounding: str) -> Decimal:
    return (value / grid).quantize(_ONE, rounding=rounding) * grid


class MarketState(NamedTuple):
    """The model at one market time. ``best_bid``/``best_ask`` are the background's.
    (A named tuple: the engine builds one for every step an order rests.)"""

    at: datetime
    mid: Decimal
    volatility: float
    best_bid: Decimal
    best_ask: Decimal
    # Base quantity of the best background level before its per-price factor.
    level_base: float
    # ``best_bid`` and ``best_ask`` as whole multiples of the level spacing.
    bid_level: int = 0
    ask_level: int = 0

    @property
    def spread(self) -> Decimal:
        return self.best_ask - self.best_bid


class MarketModel:
    def __init__(
        self,
        instrument: Instrument,
        path: PricePath,
        *,
        liquidity: Liquidity | None = None,
        seed: int = 0,
    ) -> None:
        self.instrument = instrument
        self.path = path
        self.liquidity = liquidity or Liquidity()
        self._level_key = derive_seed(seed, instrument.symbol, "levels")
        self._grid = instrument.level_spacing
        self._tick = instrument.tick_size
        self._step = instrument.step_size
        self._step_float = float(instrument.step_size)
        self._slope = float(instrument.depth_slope)
        self._reference_volatility = float(instrument.reference_volatility)
        self._spread_bps = float(instrument.spread_bps)
        self._level_notional = float(instrument.level_notional)
        self._last: MarketState | None = None
        # Spread factor and depth depend on the volatility alone, which a replayed day (a
        # simulated path step) holds constant: worked out once per distinct volatility.
        self._shape: tuple[float, Decimal, float] | None = None
        # A price level's size factor is fixed for the seed; the engine asks for the same
        # few levels at every step while an order rests. Both by level (price / spacing).
        self._level_factors: dict[int, float] = {}
        self._level_prices: dict[int, Decimal] = {}
        self._ticks_per_level = int(self._grid / self._tick)

    @property
    def symbol(self) -> str:
        return self.instrument.symbol

    @property
    def rules(self) -> MarketRules:
        return self.instrument.rules

    def state(self, at: datetime) -> MarketState:
        last = self._last
        if last is not None and last.at == at:
            return last
        sample = self.path.sample(at)
        volatility = sample.volatility
        mid = max(self._tick, to_grid(to_decimal(sample.mid), self._tick, ROUND_HALF_EVEN))
        shape = self._shape
        if shape is None or shape[0] != volatility:
            shape = self._shape = (volatility, *self._spread_and_depth(volatility))
        half_spread = mid * shape[1]
        grid = self._grid
        # The best bid is at least one spacing, and the best ask above it.
        bid_level = max(1, int(((mid - half_spread) / grid).quantize(_ONE, ROUND_FLOOR)))
        ask_level = int(((mid + half_spread) / grid).quantize(_ONE, ROUND_CEILING))
        if ask_level <= bid_level:
            ask_level = bid_level + 1
        state = MarketState(
            at=at,
            mid=mid,
            volatility=volatility,
            best_bid=self.level_price(bid_level),
            best_ask=self.level_price(ask_level),
            level_base=self._level_notional / float(mid) * shape[2],
            bid_level=bid_level,
            ask_level=ask_level,
        )
        self._last = state
        return state

    def _spread_and_depth(self, volatility: float) -> tuple[Decimal, float]:
        """Half the spread as a fraction of the mid, and the depth multiplier, at ``volatility``."""
        liquidity = self.liquidity
        stress = volatility / self._reference_volatility
        half_spread_bps = self._spread_bps * liquidity.spread * _clamp(stress, 0.5, 6.0) / 2
        depth = liquidity.depth * _clamp(1 / stress if stress > 0 else 2.0, 0.15, 2.0)
        return to_decimal(half_spread_bps / 10_000, 6), depth

    def mid(self, at: datetime) -> Decimal:
        return self.state(at).mid

    def volatility(self, at: datetime) -> Decimal:
        return to_decimal(self.state(at).volatility, 6)

    @property
    def level_spacing(self) -> Decimal:
        """The background's price grid."""
        return self._grid

    def level_price(self, level: int) -> Decimal:
        """The price ``level`` spacings above zero. The same Decimal object every time, so
        the engine's dictionaries keyed by price hash it once."""
        price = self._level_prices.get(level)
        if price is None:
            if len(self._level_prices) >= LEVEL_CACHE:
                self._level_prices.clear()
            # The product ``to_grid`` forms: whole spacings times the spacing.
            price = self._level_prices[level] = Decimal(level) * self._grid
        return price

    def level_size(self, state: MarketState, price: Decimal, distance: int) -> Decimal:
        """Background quantity at ``price``, ``distance`` levels out from the best."""
        return self.size_at(state, int(price / self._grid), distance)

    def size_at(self, state: MarketState, level: int, distance: int) -> Decimal:
        """Background quantity at ``level_price(level)``, ``distance`` levels from the best."""
        factor = self._level_factors.get(level)
        if factor is None:
            if len(self._level_factors) >= LEVEL_CACHE:
                self._level_factors.clear()
            factor = self._level_factors[level] = 0.6 + 0.8 * unit_hash(
                self._level_key, level * self._ticks_per_level
            )
        units = int(state.level_base * (1 + self._slope * distance) * factor / self._step_float)
        return self._step * units

    def level_quantity(self, state: MarketState, side: BookSide, price: Decimal) -> Decimal:
        """Background quantity displayed at ``price`` (zero off the grid or inside the spread)."""
        offset = state.best_bid - price if side == "bid" else price - state.best_ask
        if offset < 0:
            return Decimal(0)
        distance, remainder = divmod(offset, self._grid)
        if remainder != 0 or price <= 0:
            return Decimal(0)
        return self.level_size(state, price, int(distance))

    def levels(
        self, state: MarketState, side: BookSide, limit: int = MAX_WALK_LEVELS
    ) -> Iterator[tuple[Decimal, Decimal]]:
        """Background (price, quantity) from the best level outward, at most ``limit``."""
        price = state.best_bid if side == "bid" else state.best_ask
        step = -self._grid if side == "bid" else self._grid
        for distance in range(limit):
            if price <= 0:
                return
            yield price, self.level_size(state, price, distance)
            price += step

    def book(self, at: datetime, depth: int = 20) -> OrderBook:
        """The untouched background book: no trades, no participants."""
        state = self.state(at)
        bids = [(p, q) for p, q in self.levels(state, "bid", depth) if q > 0]
        asks = [(p, q) for p, q in self.levels(state, "ask", depth) if q > 0]
        return OrderBook.from_pairs(bids, asks)
