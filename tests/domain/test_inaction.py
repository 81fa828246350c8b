"""Cost of inaction: the mean-variance formula, and velocity raising or lowering urgency."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given

from rebalancer.domain.inaction import cost_of_inaction, inaction_reduction
from rebalancer.domain.numbers import CONTEXT
from rebalancer.domain.policy_settings import PolicySettings
from tests.domain.strategies import PROPERTY, on_grid

D = Decimal
POLICY = PolicySettings(risk_aversion=D(5), horizon_days=D(365), velocity_weight=D(1))


def test_formula_by_hand() -> None:
    # lambda/2 * equity * sigma^2 * H * (d^2 + (d + v)^2) / 2 with H = 1 year.
    cost = cost_of_inaction(D("0.1"), D("0.02"), D("0.5"), D(10_000), POLICY)
    assert cost == D("2.5") * 10_000 * D("0.25") * 1 * (D("0.01") + D("0.0144")) / 2
    assert cost == D("76.25")


def test_on_target_and_still_costs_nothing() -> None:
    assert cost_of_inaction(D(0), D(0), D("0.8"), D(10**6), POLICY) == 0


def test_velocity_toward_more_drift_raises_urgency_and_reversion_lowers_it() -> None:
    for drift in (D("0.05"), D("-0.05")):
        growing = drift / 5
        still = cost_of_inaction(drift, D(0), D("0.6"), D(10**5), POLICY)
        away = cost_of_inaction(drift, growing, D("0.6"), D(10**5), POLICY)
        back = cost_of_inaction(drift, -growing, D("0.6"), D(10**5), POLICY)
        assert back < still < away
        # The fall a trade to target buys moves the same way.
        gains = [
            inaction_reduction(drift, D(0), v, D("0.6"), D(10**5), POLICY)
            for v in (-growing, D(0), growing)
        ]
        assert gains[0] < gains[1] < gains[2]


def test_velocity_weight_zero_ignores_velocity() -> None:
    calm = PolicySettings(velocity_weight=D(0))
    assert cost_of_inaction(D("0.1"), D("0.05"), D("0.5"), D(100), calm) == cost_of_inaction(
        D("0.1"), D(0), D("0.5"), D(100), calm
    )


drifts = on_grid(-(10**6), 10**6, 6)


@PROPERTY
@given(drift=drifts, velocity=on_grid(-(10**4), 10**4, 6), equity=on_grid(1, 10**12, 2))
def test_cost_is_symmetric_in_sign_and_reduction_matches_its_definition(
    drift: Decimal, velocity: Decimal, equity: Decimal
) -> None:
    sigma = D("0.7")
    cost = cost_of_inaction(drift, velocity, sigma, equity, POLICY)
    assert cost >= 0
    assert cost == cost_of_inaction(-drift, -velocity, sigma, equity, POLICY)
    after = cost_of_inaction(D(0), velocity, sigma, equity, POLICY)
    assert inaction_reduction(drift, D(0), velocity, sigma, equity, POLICY) == CONTEXT.subtract(
        cost, after
    )
