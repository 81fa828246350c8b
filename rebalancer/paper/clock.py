"""Exchange time to market time.

The venue stamps orders and trades with exchange time (wall time in the server, the
backtest's own clock in process). The market model may run faster: ``SpeedClock`` maps an
exchange time to a market time ``speed`` times further from a common origin, so a demo of a
minute can show hours of prices while every timestamp a client sees stays on its own clock.
"""

from __future__ import annotations

from datetime import datetime


class SpeedClock:
    def __init__(self, exchange_origin: datetime, market_origin: datetime, speed: float) -> None:
        if exchange_origin.tzinfo is None or market_origin.tzinfo is None:
            raise ValueError("naive datetime: the paper venue runs on UTC-aware times")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.exchange_origin = exchange_origin
        self.market_origin = market_origin
        self.speed = speed

    def __call__(self, now: datetime) -> datetime:
        return self.market_origin + (now - self.exchange_origin) * self.speed
