"""Per-asset bands and the joint step as the policy runs them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given

from rebalancer.domain.bands import band_of, relative_variance
from rebalancer.domain.decide import decide
from rebalancer.domain.numbers import ONE
from tests.domain.strategies import PROPERTY, on_grid
from tests.domain_fixtures import account, snapshot_of

D = Decimal
TARGETS = {"A": D("0.4"), "B": D("0.4"), "USDT": D("0.2")}


def _snapshot(a: str, b: str, cash: str, **policy: Any) -> Any:
    data = account({"A": (D(a), D(100)), "B": (D(b), D(100))}, D(cash), TARGETS, policy=policy)
    return snapshot_of(data)


def test_fixed_bands_are_the_policys() -> None:
    snapshot = _snapshot("40", "40", "2000", band="0.03", band_rule="fixed")
    assert band_of(snapshot, "A") == D("0.03")


def test_asymptotic_bands_grow_as_the_cube_root_of_variance_and_cost() -> None:
    calm = _snapshot("40", "40", "2000", band_rule="asymptotic", risk_aversion="2")
    calm = calm.model_copy(update={"volatility": {"A": D("0.4"), "B": D("0.8")}})
    a, b = band_of(calm, "A"), band_of(calm, "B")
    # Twice the volatility: 2^(2/3) times the band.
    assert abs(b / a - D(2) ** (D(2) / 3)) < D("1e-20")
    # (3 c w^2 (1-w)^2 sigma^2 / (2 lambda))^(1/3), c = fee 0.001 + half spread 0.0001.
    c = D("0.001") + D("0.01") / D(100)
    expected = (D(3) * c * (D("0.4") * D("0.6") * D("0.4")) ** 2 / (2 * D(2))) ** (D(1) / 3)
    assert abs(a - expected) < D("1e-20")
    # More risk aversion, tighter bands.
    tight = calm.model_copy(
        update={"policy": calm.policy.model_copy(update={"risk_aversion": D(16)})}
    )
    assert band_of(tight, "A") < a


def test_joint_sizing_trades_for_cash_that_per_asset_bands_leave_alone() -> None:
    # Each asset 1.5 points over target, inside its 2% band; cash 3 points short.
    # Band-edge trades nothing; the joint step sells to bring cash back.
    kwargs: dict[str, Any] = {"band": "0.02", "cost_gate": False, "slippage_budget_bps": "500"}
    per_asset = decide(_snapshot("41.5", "41.5", "1700", sizing="band_edge", **kwargs))
    joint = decide(_snapshot("41.5", "41.5", "1700", sizing="joint", **kwargs))
    assert per_asset.orders == ()
    assert {o.side for o in joint.orders} == {"sell"}
    assert "band" in per_asset.of("A").reason


def _one_asset(weight: Decimal, sigma: Decimal, risk: Decimal, band_rule: str) -> Any:
    targets = {"A": weight, "USDT": ONE - weight}
    data = account({"A": (D(100), D(10))}, D(1000), targets, policy={"band_rule": band_rule})
    data["policy"]["risk_aversion"] = str(risk)
    data["volatility"] = {"A": str(sigma)}
    return snapshot_of(data)


@PROPERTY
@given(
    weight=on_grid(1, 99, 2),
    sigma=on_grid(1, 300, 2),
    risk=on_grid(1, 10_000, 1),
)
def test_covariance_bands_of_one_asset_against_cash_are_the_asymptotic_ones(
    weight: Decimal, sigma: Decimal, risk: Decimal
) -> None:
    # Alone beside cash, an asset's weight moves as w (1 - w) sigma: the one-asset rule is
    # the covariance rule's special case, to the last digit of the 34-digit context.
    covariance = band_of(_one_asset(weight, sigma, risk, "covariance"), "A")
    asymptotic = band_of(_one_asset(weight, sigma, risk, "asymptotic"), "A")
    assert abs(covariance - asymptotic) <= asymptotic * D("1e-30")


def _pair(correlation: str | None, **policy: Any) -> Any:
    snapshot = _snapshot("40", "40", "2000", band_rule="covariance", risk_aversion="2", **policy)
    estimates: dict[str, Any] = {"volatility": {"A": D("0.5"), "B": D("1.0")}}
    if correlation is not None:
        estimates["correlation"] = {"B": {"A": D(correlation)}}
    return snapshot.model_copy(update=estimates)


def test_covariance_bands_follow_the_weight_s_own_variance() -> None:
    snapshot = _pair("0.8")
    # A's weight moves with 0.6 r_A - 0.4 r_B; its variance by hand.
    variance = D("0.36") * D("0.25") + D("0.16") * D("1.0") - 2 * D("0.24") * D("0.5") * D("0.8")
    c = D("0.001") + D("0.01") / D(100)
    expected = (D(3) * c * D("0.16") * variance / (2 * D(2))) ** (D(1) / 3)
    assert abs(band_of(snapshot, "A") - expected) < D("1e-20")


def test_the_more_assets_move_together_the_narrower_their_bands() -> None:
    loose, tight = _pair("0.2"), _pair("0.9")
    for asset in ("A", "B"):
        assert band_of(tight, asset) < band_of(loose, asset)
        # Against the one-asset rule, which treats the other asset as cash.
        alone = tight.model_copy(
            update={"policy": tight.policy.model_copy(update={"band_rule": "asymptotic"})}
        )
        assert band_of(tight, asset) < band_of(alone, asset)


def test_without_an_estimate_the_policy_s_default_correlation_serves() -> None:
    assert band_of(_pair(None, default_correlation="0.9"), "A") == band_of(_pair("0.9"), "A")
    assert band_of(_pair(None), "A") == band_of(_pair("0.5"), "A")


def test_correlations_that_are_no_matrix_s_keep_the_one_asset_band() -> None:
    # A moves with B and with C, B against C: no covariance matrix is that, and A's return
    # less the portfolio's would have a negative variance.
    targets = {"A": D("0.3"), "B": D("0.3"), "C": D("0.3"), "USDT": D("0.1")}
    holdings = {a: (D(100), D(3)) for a in ("A", "B", "C")}
    data = account(holdings, D(100), targets, policy={"band_rule": "covariance"})
    data["correlation"] = {"A": {"B": "1", "C": "1"}, "B": {"C": "-1"}}
    snapshot = snapshot_of(data)
    assert relative_variance(snapshot, "A") < 0
    alone = snapshot.model_copy(
        update={"policy": snapshot.policy.model_copy(update={"band_rule": "asymptotic"})}
    )
    assert band_of(snapshot, "A") == band_of(alone, "A")
    assert band_of(snapshot, "B") != band_of(alone, "B")
