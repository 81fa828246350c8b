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
- Ticks follow the price level. Binance's ticks are today's, for today's prices; a replay of
  another period can find the asset at a tenth or a hundredth of them (LINK traded at 0.20-
  0.50 USDT in 2018-19, where a 0.001 tick is 20-50 bps). Binance re-ticks such markets
  (its "tick size adjustment" notices), so a replay does too: while the listed tick is more
  than ``MAX_TICK_FRACTION`` (5 bps) of the lowest price the replay shows, the tick is
  divided by ten. Binance's own ticks span about 0.5-10 bps of price (LINK/USDT's 0.001 at
  15 USDT, DOGE/USDT's 0.00001 at 0.08), so a one-tick spread stays one its price level
  could have had. On 2021-23's bars no tick changes: the coarsest, LINK's 0.001, is 2.03
  bps of its lowest low (4.926 on 2023-06-09).
- The other filters follow the price level the same way, by whole decades: the largest
  order (``max_qty``) grows by the whole decades the replay's lowest price lies below the
  instrument's reference price, and the highest price (``max_price``) stays at least ten
  times the replay's highest. Neither changes on the bundled bars.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from rebalancer.paper.instruments import Instrument

# base: (quote notional at the best level, quoted spread in bps at reference volatility)
BINANCE_SPOT = {
    "BTC": (Decimal("60000"), Decimal("0.01")),
    "ETH": (Decimal("30000"), Decimal("0.02")),
    "LINK": (Decimal("8000"), Decimal("1")),
}
# The coarsest tick a replay keeps, as a fraction of the lowest price it shows.
MAX_TICK_FRACTION = Decimal("0.0005")
TEN = Decimal(10)


def binance_spot(
    instruments: tuple[Instrument, ...],
    ranges: Mapping[str, tuple[Decimal, Decimal]] | None = None,
) -> tuple[Instrument, ...]:
    """The instruments with one-tick levels and Binance-like spreads; others unchanged.

    ``ranges``: the lowest and highest price each asset shows in the replay, to fit the
    filters of a market the replay finds far from today's prices."""
    calibrated: list[Instrument] = []
    for inst in instruments:
        known = BINANCE_SPOT.get(inst.base)
        if known is None:
            calibrated.append(inst)
            continue
        notional, spread = known
        update: dict[str, Decimal] = {
            "level_spacing": inst.tick_size,
            "level_notional": notional,
            "spread_bps": spread,
        }
        seen = (ranges or {}).get(inst.base)
        if seen is not None:
            low, high = seen
            tick = tick_for(inst.tick_size, low)
            update |= {
                "tick_size": tick,
                "min_price": min(inst.min_price, tick),
                "level_spacing": tick,
                "max_qty": inst.max_qty * decades_below(inst.start_price, low),
                "max_price": inst.max_price * decades_to_reach(high * TEN, inst.max_price),
            }
        calibrated.append(inst.model_copy(update=update))
    return tuple(calibrated)


def decades_below(reference: Decimal, low: Decimal) -> Decimal:
    """The whole decades ``low`` lies below ``reference``, as a power of ten (1 if none)."""
    factor = Decimal(1)
    while low * factor * TEN <= reference:
        factor *= TEN
    return factor


def decades_to_reach(target: Decimal, value: Decimal) -> Decimal:
    """The least power of ten, 1 or more, that takes ``value`` to ``target`` or past it."""
    factor = Decimal(1)
    while value * factor < target:
        factor *= TEN
    return factor


def tick_for(listed: Decimal, lowest: Decimal) -> Decimal:
    """``listed`` divided by ten until it is at most ``MAX_TICK_FRACTION`` of ``lowest``."""
    tick = listed
    while lowest > 0 and tick > lowest * MAX_TICK_FRACTION:
        tick /= TEN
    return tick
