"""The look carries the books of exactly the legs the decision takes past their bands.

Per-asset bands widen with volatility (and, under the covariance rule, narrow with
correlation). The look at the account sizes them before the
decision does; if it sized them at the policy's default volatility while the decision used
the account's estimate, a calm asset drifted between the two bands would arrive without its
book, be queued for it, and be queued again on every retry, never trading. The same holds
for the account's correlation estimates.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from rebalancer.cycle.trading_cycle import CycleMemory, Mandate, TradingCycle
from rebalancer.domain.bands import band_of
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.tracking import Tracking
from tests.cycle.in_process_port import InProcessPort
from tests.workflows.scenario import memory_venue

TARGETS = {"BTC": Decimal("0.5"), "USDT": Decimal("0.5")}


async def _check(policy: PolicySettings, volatility: str) -> tuple[InProcessPort, TradingCycle]:
    # BTC 1.5 points over its 50% target.
    port = InProcessPort(memory_venue(USDT="48500", BTC="0.8046875"))
    mandate = Mandate(account_id="acct", quote="USDT", targets=TARGETS, policy=policy)
    tracking = Tracking(volatility={"BTC": Decimal(volatility)})
    cycle = TradingCycle(port, mandate, CycleMemory(cycle=0, tracking=tracking), "timer")
    await cycle.run()
    return port, cycle


@pytest.mark.parametrize("sizing", ["band_edge", "joint"])
async def test_a_calm_asset_past_its_own_band_comes_with_its_book_and_trades(sizing: str) -> None:
    policy = PolicySettings(band_rule="asymptotic", sizing=sizing, cost_gate=False)
    port, cycle = await _check(policy, "0.3")
    progress = cycle.finish()
    snapshot = port.looks[0].snapshot
    drift = progress.plan.of("BTC").drift
    # The premise: past the band at the account's volatility, inside it at the default's.
    calm = snapshot.model_copy(update={"volatility": {"BTC": Decimal("0.3")}})
    assert band_of(calm, "BTC") < drift
    assert drift < band_of(snapshot, "BTC")
    assert set(snapshot.books) == {"BTC/USDT"}
    assert progress.plan.of("BTC").verdict == "execute"
    assert [o.side for o in progress.orders] == ["sell"]
    assert not progress.queued


async def test_at_the_default_volatility_the_same_drift_is_left_alone() -> None:
    policy = PolicySettings(band_rule="asymptotic", sizing="band_edge", cost_gate=False)
    port, cycle = await _check(policy, "0.8")
    progress = cycle.finish()
    assert port.looks[0].snapshot.books == {}
    assert progress.plan.of("BTC").verdict == "skip"
    assert not progress.orders


BASKET = {"BTC": Decimal("0.4"), "ETH": Decimal("0.4"), "USDT": Decimal("0.2")}


async def _basket_check(covariance: dict[str, dict[str, Decimal]]) -> TradingCycle:
    # BTC 1.4 points over its 40% target, ETH on target, cash short: equity 100,000.
    port = InProcessPort(memory_venue(USDT="18600", BTC="0.646875", ETH="11.7647"))
    policy = PolicySettings(band_rule="covariance", sizing="band_edge", cost_gate=False)
    mandate = Mandate(account_id="acct", quote="USDT", targets=BASKET, policy=policy)
    volatility = {"BTC": Decimal("0.8"), "ETH": Decimal("0.8")}
    tracking = Tracking(volatility=volatility, covariance=covariance)
    cycle = TradingCycle(port, mandate, CycleMemory(cycle=0, tracking=tracking), "timer")
    await cycle.run()
    snapshot = port.looks[0].snapshot.model_copy(update={"volatility": volatility})
    # The premise: past BTC's band when the two move together (0.95), inside it at the
    # default correlation (0.5).
    together = snapshot.model_copy(update={"correlation": {"BTC": {"ETH": Decimal("0.95")}}})
    drift = cycle.finish().plan.of("BTC").drift
    assert band_of(together, "BTC") < drift < band_of(snapshot, "BTC")
    return cycle


async def test_correlated_assets_past_their_narrower_band_come_with_their_book_and_trade() -> None:
    variance, together = Decimal("0.64"), Decimal("0.608")  # 0.8^2, and 0.95 x 0.8 x 0.8
    cycle = await _basket_check(
        {"BTC": {"BTC": variance, "ETH": together}, "ETH": {"ETH": variance}}
    )
    progress = cycle.finish()
    assert progress.plan.of("BTC").verdict == "execute"
    assert [(o.symbol, o.side) for o in progress.orders] == [("BTC/USDT", "sell")]
    assert not progress.queued


async def test_without_a_correlation_estimate_the_same_drift_is_left_alone() -> None:
    cycle = await _basket_check({})
    progress = cycle.finish()
    assert progress.plan.of("BTC").verdict == "skip"
    assert not progress.orders
