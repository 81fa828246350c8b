"""What makes the backtest fast changes no result: the engine's shortcut, the desk's
unvalidated (valid by construction) models, and running each distinct job once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from rebalancer.backtest.baselines import NO_KNOBS, Knobs
from rebalancer.backtest.desk import Desk
from rebalancer.backtest.experiment import Job, identity, run_job, run_jobs
from rebalancer.backtest.markets import MarketSpec, market_spec
from rebalancer.backtest.roster import policy_factory
from rebalancer.backtest.simulator import Run, simulate
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.snapshot import Position, Snapshot
from rebalancer.paper.instruments import Instrument
from rebalancer.paper.matching import MatchingEngine
from tests.backtest.conftest import PORTFOLIO, TARGETS

SETTINGS = PolicySettings(check_interval_seconds=3600)


@pytest.fixture
def market(instruments: tuple[Instrument, ...]) -> MarketSpec:
    return market_spec(
        "replay", instruments, seed=3, first=date(2021, 5, 17), last=date(2021, 5, 18)
    )


def seed_run(market: MarketSpec) -> Run:
    make = policy_factory("seed", TARGETS, "USDT", timedelta(hours=1), SETTINGS, NO_KNOBS)
    return simulate(market, make, TARGETS, "USDT", Decimal(100_000))


def test_the_seed_engine_fills_the_same_with_and_without_the_engine_shortcut(
    market: MarketSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = seed_run(market)
    monkeypatch.setattr(MatchingEngine, "_absorbed_by_background", lambda *_: False)
    stepped = seed_run(market)
    assert len(fast.fills) > 10
    assert repr(fast.fills) == repr(stepped.fills)
    assert repr(fast.samples) == repr(stepped.samples)


def test_the_desks_snapshot_is_the_validated_one(market: MarketSpec) -> None:
    desk = Desk(market.venue(), "USDT", ["BTC", "ETH", "LINK"], market.start)
    desk.fund(Decimal(100_000), TARGETS)
    desk.advance(market.start + timedelta(hours=5))
    for policy in (None, SETTINGS):
        trusted = desk.snapshot(TARGETS, policy)
        fields = {name: getattr(trusted, name) for name in trusted.model_fields_set}
        validated = Snapshot(
            **{
                **fields,
                "positions": tuple(Position(**p.model_dump()) for p in trusted.positions),
            }
        )
        assert validated == trusted
        assert validated.model_fields_set == trusted.model_fields_set
        assert repr(validated) == repr(trusted)


def test_a_default_spelled_out_is_the_same_job_and_another_knob_is_not(
    market: MarketSpec,
) -> None:
    def job(policy: str, band: Decimal | None = None, interval: timedelta | None = None) -> Job:
        return Job(policy, policy, market, PORTFOLIO, SETTINGS, knobs=Knobs(band, interval))

    assert identity(job("calendar")) == identity(job("calendar", interval=timedelta(days=1)))
    assert identity(job("calendar")) != identity(job("calendar", interval=timedelta(hours=1)))
    assert identity(job("threshold")) == identity(job("threshold", band=Decimal("0.05")))
    assert identity(job("threshold")) != identity(job("band_edge"))
    assert identity(job("seed")) == identity(job("seed", band=Decimal("0.01")))
    other = SETTINGS.model_copy(update={"risk_aversion": Decimal(3)})
    assert identity(job("cost_aware")) != identity(replace(job("cost_aware"), settings=other))


def test_copies_of_a_job_get_its_outcome_under_their_own_keys(market: MarketSpec) -> None:
    def job(key: str, series: bool) -> Job:
        return Job(key, "calendar", market, PORTFOLIO, SETTINGS, keep_series=series)

    ticks: list[int] = []
    outcomes = run_jobs([job("a", False), job("b", True)], progress=ticks.append)
    alone = run_job(job("b", True))
    assert list(outcomes) == ["a", "b"]
    assert outcomes["a"].metrics == outcomes["b"].metrics == alone.metrics
    assert outcomes["b"].series == alone.series
    assert sum(ticks) == 2 * market.days
