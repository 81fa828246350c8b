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
        return MarketRules(
            symbol=self.symbol,
            base=self.base,
            quote=self.quote,
            tick_size=self.tick_size,
            step_size=self.step_size,
            min_qty=self.min_qty,
            min_notional=self.min_notional,
            maker_fee=self.maker_fee,
            taker_fee=self.taker_fee,
        )


DEFAULT_INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument(
        base="BTC",
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.00001"),
        min_qty=Decimal("0.00001"),
        max_qty=Decimal("9000"),
        min_price=Decimal("0.01"),
        start_price=Decimal("42000"),
        level_spacing=Decimal("2.00"),
        level_notional=Decimal("250000"),
        spread_bps=Decimal("1.0"),
        flow_notional_per_second=Decimal("3000"),
        reference_volatility=Decimal("0.5"),
    ),
    Instrument(
        base="ETH",
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.0001"),
        min_qty=Decimal("0.0001"),
        max_qty=Decimal("100000"),
        min_price=Decimal("0.01"),
        start_price=Decimal("2300"),
        level_spacing=Decimal("0.10"),
        level_notional=Decimal("120000"),
        spread_bps=Decimal("1.5"),
        flow_notional_per_second=Decimal("1500"),
        reference_volatility=Decimal("0.65"),
    ),
    Instrument(
        base="LINK",
        tick_size=Decimal("0.001"),
        step_size=Decimal("0.01"),
        min_qty=Decimal("0.01"),
        max_qty=Decimal("900000"),
        min_price=Decimal("0.001"),
        start_price=Decimal("15"),
        level_spacing=Decimal("0.001"),
        level_notional=Decimal("25000"),
        spread_bps=Decimal("4"),
        flow_notional_per_second=Decimal("300"),
        reference_volatility=Decimal("0.9"),
    ),
)


def instrument_for(
    symbol: str, instruments: tuple[Instrument, ...] = DEFAULT_INSTRUMENTS
) -> Instrument:
    for instrument in instruments:
        if symbol in (instrument.symbol, instrument.venue_symbol):
            return instrument
    known = ", ".join(i.symbol for i in instruments)
    raise KeyError(f"unknown symbol {symbol!r}; the paper venue lists {known}")
