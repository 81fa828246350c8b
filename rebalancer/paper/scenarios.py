"""Named market scenarios: how prices move, how deep the book is, and what goes wrong.

``calm``, ``volatile``, ``crash`` and ``thin`` simulate prices; ``replay`` replays the bundled
daily bars; ``faulty`` is ``calm`` with latency, ambiguous order faults and short maintenance
windows switched on in the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from rebalancer.paper.faults import FaultSettings
from rebalancer.paper.price_paths import Regime


@dataclass(frozen=True)
class Liquidity:
    """Multipliers on each instrument's baseline book and flow."""

    depth: float = 1.0
    spread: float = 1.0
    flow: float = 1.0
    # How strongly other traders' flow follows the price move (matching: adverse selection
    # of resting orders); 0 makes fills independent of where the price goes.
    adverse_selection: float = 0.5


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    regimes: tuple[Regime, ...] = ()
    liquidity: Liquidity = field(default_factory=Liquidity)
    replay: bool = False
    faults: FaultSettings = field(default_factory=FaultSettings)


_CALM = (
    Regime("quiet", volatility=0.35, mean_duration=timedelta(hours=8), weight=3),
    Regime("active", volatility=0.7, mean_duration=timedelta(hours=2)),
)

SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario("calm", "quiet markets with occasional active hours", _CALM),
        Scenario(
            "volatile",
            "high volatility with stressed bursts; spreads wide, books thin",
            (
                Regime("active", volatility=0.8, mean_duration=timedelta(hours=4), weight=2),
                Regime("stressed", volatility=1.6, mean_duration=timedelta(hours=1)),
            ),
        ),
        Scenario(
            "crash",
            "quiet markets broken by sharp sell-offs and partial rebounds",
            (
                Regime("quiet", volatility=0.4, mean_duration=timedelta(hours=6), weight=3),
                Regime("crash", volatility=1.8, drift=-250.0, mean_duration=timedelta(hours=3)),
                Regime("rebound", volatility=1.2, drift=80.0, mean_duration=timedelta(hours=2)),
            ),
        ),
        Scenario(
            "thin",
            "calm prices, but a tenth of the depth, triple the spread and little flow",
            _CALM,
            Liquidity(depth=0.1, spread=3.0, flow=0.2),
        ),
        Scenario(
            "faulty",
            "calm prices behind a venue with latency, ambiguous faults and maintenance",
            _CALM,
            faults=FaultSettings(
                latency_ms=30,
                latency_jitter_ms=70,
                ambiguous_probability=0.05,
                error_probability=0.02,
                maintenance_every_seconds=300,
                maintenance_duration_seconds=10,
            ),
        ),
        Scenario("replay", "real daily bars with simulated intraday paths", replay=True),
    )
}


def scenario_named(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"unknown scenario {name!r}; choose one of {sorted(SCENARIOS)}") from None
