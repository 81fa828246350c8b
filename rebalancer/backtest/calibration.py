"""The replay's books, calibrated to Binance spot rather than to the paper venue's demo.

The paper venue's instruments show a wide, coarse book on purpose (a demo should see
spreads and queues). Replayed against real bars that flatters every rule that waits: the
demo's spreads are BTC 1.7, ETH 1.8 and LINK 5.2 bps, where Binance quotes BTC/USDT and
ETH/USDT one tick wide (0.01 USDT: about 0.003 bps for BTC and under 0.1 bps for ETH) and
LINK/USDT one or two ticks (0.001 USDT: 1-2 bps at 2022-23 prices).

Sources and assumptions:
- Tick sizes are Binance's PRICE_FILTER for these symbols (``GET /api/v3/exchangeInfo``),
  and the spreads are one tick at the touch: the top pairs trade at the minimum tick almost
  all day. Levels sit on every tick, so a price level is one tick and spreads are exact.
- Depth per level is an assumption, not a measurement: enough that an order of this
  account's size (a few thousand USDT) fills at the touch, as it does on Binance's top
  pairs, and thin enough that a 1%-of-ten-levels rule (the seed's) meets it. The ``thin``
  market shows what a shallow book does.
- Fees stay the run's (0.1% maker and taker by default: Binance's base tier without BNB).
"""

from __future__ import annotations

from decimal import Decimal

from rebalancer.paper.instruments import Instrument

# base: (quote notional at the best level, quoted spread in bps at reference volatility)
BINANCE_SPOT = {
    "BTC": (Decimal("60000"), Decimal("0.01")),
    "ETH": (Decimal("30000"), Decimal("0.02")),
    "LINK": (Decimal("8000"), Decimal("1")),
}


def binance_spot(instruments: tuple[Instrument, ...]) -> tuple[Instrument, ...]:
    """The instruments with one-tick levels and Binance-like spreads; others unchanged."""
    calibrated: list[Instrument] = []
    for inst in instruments:
        known = BINANCE_SPOT.get(inst.base)
        if known is None:
            calibrated.append(inst)
            continue
        notional, spread = known
        calibrated.append(
            inst.model_copy(
                update={
                    "level_spacing": inst.tick_size,
                    "level_notional": notional,
                    "spread_bps": spread,
                }
            )
        )
    return tuple(calibrated)
