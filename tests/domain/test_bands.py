"""Per-asset bands and the joint step as the policy runs them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rebalancer.domain.bands import band_of
from rebalancer.domain.decide import decide
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
