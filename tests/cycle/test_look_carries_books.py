"""The look carries a book for every leg the decision takes past its band, whatever the
account remembers.

The look at the account decides which order books travel with the snapshot before the
decision sees them; if the two sized a band differently, a leg past the decision's band
would arrive without its book and be queued on every retry, never trading. Over random
targets, balances, policies and estimates (volatility and covariance, some missing, some no
matrix's), no leg of a two-sided market may be queued for want of a book.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rebalancer.cycle.trading_cycle import CycleMemory, Mandate, TradingCycle
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.tracking import Tracking
from tests.cycle.in_process_port import InProcessPort
from tests.cycle.test_invariants import targets
from tests.domain.strategies import on_grid
from tests.workflows.scenario import MIDS, RULES, memory_venue

ASSETS = ["BTC", "ETH"]
NO_BOOK = "no two-sided order book"
EQUITY = Decimal(100_000)


@st.composite
def estimates(draw: st.DrawFn) -> Tracking:
    """Volatility and covariance for some assets and pairs, the rest left to the priors."""
    # Far from the policy's default (0.8) as often as near it, so that bands sized at the
    # default and at the estimate differ by a wide margin.
    volatility = {a: draw(on_grid(5, 300, 2)) for a in ASSETS if draw(st.booleans())}
    covariance: dict[str, dict[str, Decimal]] = {}
    # Mostly a whole matrix (a correlation needs both variances and the pair), else a part.
    whole = draw(st.integers(0, 3)) > 0
    for i, first in enumerate(ASSETS):
        for second in ASSETS[i:]:
            if whole or draw(st.booleans()):
                value = draw(on_grid(1, 900, 2) if first == second else on_grid(-900, 900, 2))
                covariance.setdefault(first, {})[second] = value
    return Tracking(volatility=volatility, covariance=covariance)


@st.composite
def policies(draw: st.DrawFn) -> PolicySettings:
    return PolicySettings(
        band_rule=draw(st.sampled_from(["fixed", "asymptotic", "covariance", "covariance"])),
        sizing=draw(st.sampled_from(["target", "band_edge", "joint"])),
        # Bands of about 0.5% to 8% at these weights: the drifts drawn below straddle them.
        risk_aversion=Decimal(2) ** draw(st.integers(-2, 10)),
        default_correlation=draw(on_grid(-100, 100, 2)),
        band=draw(on_grid(5, 80, 3)),
        cost_gate=draw(st.booleans()),
    )


@st.composite
def basket(draw: st.DrawFn) -> dict[str, Decimal]:
    """Mostly both assets targeted (where their correlation shapes the bands), at times a
    random subset, zero weights and held assets without a target included."""
    if draw(st.integers(0, 3)) == 0:
        return draw(targets(ASSETS))
    weights = {a: draw(on_grid(2, 9, 0)) / 20 for a in ASSETS}
    return {**weights, "USDT": 1 - sum(weights.values(), Decimal(0))}


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    weights=basket(),
    policy=policies(),
    tracking=estimates(),
    # Each asset's weight off its target by up to 4 points: where the bands are.
    drifts=st.tuples(on_grid(-400, 400, 4), on_grid(-400, 400, 4)),
)
def test_no_leg_past_its_band_waits_for_a_book_the_look_left_behind(
    weights: dict[str, Decimal],
    policy: PolicySettings,
    tracking: Tracking,
    drifts: tuple[Decimal, Decimal],
) -> None:
    held = {}
    for asset, drift in zip(ASSETS, drifts, strict=True):
        weight = weights.get(asset, Decimal(0)) + drift
        assume(weight >= 0)
        symbol = f"{asset}/USDT"
        held[asset] = (weight * EQUITY / MIDS[symbol]).quantize(RULES[symbol].step_size)
    cash = EQUITY - sum(q * MIDS[f"{a}/USDT"] for a, q in held.items())
    assume(cash >= 0)
    balances = {a: str(q) for a, q in held.items()}
    port = InProcessPort(memory_venue(USDT=str(cash), **balances))
    mandate = Mandate(account_id="acct", quote="USDT", targets=weights, policy=policy)
    cycle = TradingCycle(port, mandate, CycleMemory(cycle=0, tracking=tracking), "timer")
    asyncio.run(cycle.run())
    plan = cycle.finish().plan
    assert plan is not None
    starved = [row.asset for row in plan.assets if row.reason.startswith(NO_BOOK)]
    assert starved == [], f"queued without the book the look should have carried: {starved}"
