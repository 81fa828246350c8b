"""A price path that holds still (or jumps when told): matching tests need a market whose
only moving part is the one under test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rebalancer.paper.instruments import DEFAULT_INSTRUMENTS, Instrument
from rebalancer.paper.market_model import MarketModel
from rebalancer.paper.matching import MatchingEngine
from rebalancer.paper.price_paths import PathSample
from rebalancer.paper.scenarios import Liquidity
from rebalancer.paper.venue import PaperVenue

T0 = datetime(2024, 1, 1, tzinfo=UTC)
BTC = DEFAULT_INSTRUMENTS[0]


class FixedPath:
    """Mid ``price`` at constant volatility; ``jumps`` maps a time to a new mid from then on."""

    def __init__(self, price: float, volatility: float = 0.5) -> None:
        self.price = price
        self.volatility = volatility
        self.jumps: dict[datetime, float] = {}

    @property
    def start(self) -> datetime:
        return T0

    def sample(self, moment: datetime) -> PathSample:
        mid = self.price
        for at, value in sorted(self.jumps.items()):
            if moment >= at:
                mid = value
        return PathSample(mid, self.volatility)


def fixed_venue(
    price: float = 42_000.0,
    volatility: float = 0.5,
    *,
    instrument: Instrument = BTC,
    liquidity: Liquidity | None = None,
    seed: int = 1,
) -> tuple[PaperVenue, FixedPath]:
    path = FixedPath(price, volatility)
    model = MarketModel(instrument, path, liquidity=liquidity, seed=seed)
    return PaperVenue([model], seed=seed), path


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


def engine_of(venue: PaperVenue) -> MatchingEngine:
    return venue.engine(venue.symbols[0])


def usdt(amount: str) -> dict[str, Decimal]:
    return {"USDT": Decimal(amount)}
