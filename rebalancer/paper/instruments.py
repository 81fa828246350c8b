"""The paper venue's instruments: Binance-like filters plus the liquidity each one starts from.

Filters follow Binance spot (tick, step, 5 USDT minimum notional, 0.1% fees). The liquidity
fields are the model's baseline at the instrument's reference volatility; a scenario scales
them and the market model thins and widens them as volatility rises.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator

from rebalancer.domain.market import Frozen, MarketRules, symbol_for
from rebalancer.domain.numbers import Dec, NonNegDec, PosDec


class Instrument(Frozen):
    base: str
    quote: str = "USDT"
    tick_size: PosDec
    step_size: PosDec
    min_qty: PosDec
    max_qty: PosDec
    min_price: PosDec
    max_price: PosDec = Decimal("1000000")
    min_notional: NonNegDec = Decimal("5")
    maker_fee: Dec = Field(default=Decimal("0.001"), ge=0, le=1)
    taker_fee: Dec = Field(default=Decimal("0.001"), ge=0, le=1)
    # Simulated scenarios start here; replay starts from the data.
    start_price: PosDec
    # Background liquidity sits on a coarser grid than the tick, so a price level keeps its
    # identity (and an order its queue) while the mid moves.
    level_spacing: PosDec
    # Quote notional of the best background level at the reference volatility.
    level_notional: PosDec
    # Each level further out holds this much more than the best one, per level.
    depth_slope: NonNegDec = Decimal("0.1")
    # Quoted spread at the reference volatility, in bps of the mid.
    spread_bps: PosDec
    # Market orders from everyone else, quote notional per second of market time per side.
    flow_notional_per_second: PosDec
    # Annualised volatility at which spread and depth equal their baseline.
    reference_volatility: PosDec

    @model_validator(mode="after")
    def _grids_agree(self) -> Instrument:
        if (self.level_spacing % self.tick_size) != 0:
            raise ValueError("level_spacing must be a multiple of tick_size")
        if (self.min_qty % self.step_size) != 0:
            raise ValueError("min_qty must be a multiple of step_size")
        return self

    @property
    def symbol(self) -> str:
        return symbol_for(self.base, self.quote)

    @property
    def venue_symbol(self) -> str:
        """Binance's spelling: no separator."""
        return f"{self.base}{self.quote}"

    @property
    def rules(self) -> MarketRules:
        """The filters and fees, read from this instrument's fields of the same names."""
        return MarketRules.model_validate(self, from_attributes=True)


def _listing(
    base: str,
    tick: str,
    step: str,
    max_qty: str,
    start_price: str,
    level_spacing: str,
    level_notional: str,
    spread_bps: str,
    flow_notional_per_second: str,
    reference_volatility: str,
) -> Instrument:
    """A USDT market as Binance lists one: the minimum price is one tick and the minimum
    quantity one step."""
    return Instrument(
        base=base,
        tick_size=Decimal(tick),
        min_price=Decimal(tick),
        step_size=Decimal(step),
        min_qty=Decimal(step),
        max_qty=Decimal(max_qty),
        start_price=Decimal(start_price),
        level_spacing=Decimal(level_spacing),
        level_notional=Decimal(level_notional),
        spread_bps=Decimal(spread_bps),
        flow_notional_per_second=Decimal(flow_notional_per_second),
        reference_volatility=Decimal(reference_volatility),
    )


DEFAULT_INSTRUMENTS: tuple[Instrument, ...] = (
    # base, tick, step, max qty, start price, level spacing, level notional, spread bps,
    # flow notional per second, reference volatility
    _listing("BTC", "0.01", "0.00001", "9000", "42000", "2.00", "250000", "1.0", "3000", "0.5"),
    _listing("ETH", "0.01", "0.0001", "100000", "2300", "0.10", "120000", "1.5", "1500", "0.65"),
    _listing("LINK", "0.001", "0.01", "900000", "15", "0.001", "25000", "4", "300", "0.9"),
)


def instrument_for(
    symbol: str, instruments: tuple[Instrument, ...] = DEFAULT_INSTRUMENTS
) -> Instrument:
    for instrument in instruments:
        if symbol in (instrument.symbol, instrument.venue_symbol):
            return instrument
    known = ", ".join(i.symbol for i in instruments)
    raise KeyError(f"unknown symbol {symbol!r}; the paper venue lists {known}")
