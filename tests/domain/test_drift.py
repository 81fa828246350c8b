"""Weights, drift and velocity: exact, summing to 1, and honouring the velocity window."""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebalancer.domain.drift import compute_drift, drift_velocity
from rebalancer.domain.numbers import CONTEXT, PRECISION, exact_sum
from rebalancer.domain.snapshot import Snapshot
from tests.domain.strategies import PROPERTY, on_grid
from tests.domain_fixtures import account, snapshot_of


def test_seed_weights_are_exact(seed_snapshot: Snapshot) -> None:
    report = compute_drift(seed_snapshot)
    assert report.equity == Decimal(182595)
    assert report.of("BTC").weight == CONTEXT.divide(Decimal(96345), Decimal(182595))
    assert report.of("ETH").weight == CONTEXT.divide(Decimal(86250), Decimal(182595))
    assert report.of("USDT").weight == 0
    assert report.of("USDT").drift == Decimal("-0.25")
    assert report.of("BTC").drift == CONTEXT.subtract(report.of("BTC").weight, Decimal("0.40"))


def test_weights_do_not_depend_on_the_callers_context(seed_snapshot: Snapshot) -> None:
    expected = compute_drift(seed_snapshot)
    with decimal.localcontext() as narrow:
        narrow.prec = 6
        narrow.rounding = decimal.ROUND_DOWN
        again = compute_drift(seed_snapshot)
        assert again == expected
        # Properties read outside any domain function run under the domain context too.
        assert again.max_abs_drift == max(abs(row.drift) for row in expected.assets)
        assert seed_snapshot.prices["BTC/USDT"].mid == Decimal("64230.00")


def test_max_abs_drift_keeps_every_digit(seed_snapshot_data: dict[str, Any]) -> None:
    # With no cash target the largest drift is BTC's 34-digit one, not USDT's -0.25.
    seed_snapshot_data["targets"] = {"BTC": "0.40", "ETH": "0.60", "USDT": "0"}
    report = compute_drift(snapshot_of(seed_snapshot_data))
    with decimal.localcontext() as default:
        default.prec = 28
        assert report.max_abs_drift == Decimal("0.1276431446644212601659410170048468")


def test_a_mid_of_many_digits_is_not_rounded_to_28() -> None:
    data = account(
        {"X": (Decimal(1), Decimal(1))}, Decimal(1), {"X": Decimal("0.5"), "USDT": Decimal("0.5")}
    )
    data["prices"]["X/USDT"] = {
        "bid": "1.00000000000000000000000000001",
        "ask": "1.00000000000000000000000000003",
    }
    with decimal.localcontext() as default:
        default.prec = 28
        assert snapshot_of(data).mid("X") == Decimal("1.00000000000000000000000000002")


@st.composite
def portfolios(draw: st.DrawFn) -> Snapshot:
    count = draw(st.integers(1, 4))
    assets = [f"A{i}" for i in range(count)]
    holdings = {a: (draw(on_grid(0, 10**12, 6)), draw(on_grid(1, 10**10, 4))) for a in assets}
    cash = draw(on_grid(0, 10**12, 2))
    if cash == 0 and all(q == 0 for q, _ in holdings.values()):
        cash = Decimal(1)
    share = CONTEXT.divide(Decimal(1), Decimal(count + 1)).quantize(Decimal("0.0001"))
    targets = {a: share for a in assets}
    targets["USDT"] = 1 - share * count
    return snapshot_of(
        account(holdings, cash, targets, half_spread=Decimal("1e-5"), gap=Decimal("1e-6"))
    )


@PROPERTY
@given(portfolios())
def test_weights_sum_to_one_to_the_context_precision(snapshot: Snapshot) -> None:
    report = compute_drift(snapshot)
    total = exact_sum(row.weight for row in report.assets)
    # Each weight is one division rounded half-even: at most half a unit in the 34th digit.
    ulp = Decimal(1).scaleb(-PRECISION + 1)
    assert abs(total - 1) <= len(report.assets) * ulp
    for row in report.assets:
        assert 0 <= row.weight <= 1
        assert row.weight == CONTEXT.divide(row.value, report.equity)
    drifts = exact_sum(row.drift for row in report.assets)
    assert abs(drifts) <= len(report.assets) * ulp


def test_all_cash_is_weight_one() -> None:
    snapshot = snapshot_of(
        account(
            {"X": (Decimal(0), Decimal(10))}, Decimal(500), {"X": Decimal(1), "USDT": Decimal(0)}
        )
    )
    report = compute_drift(snapshot)
    assert report.of("USDT").weight == 1
    assert report.of("X").weight == 0
    assert report.of("X").drift == -1


samples = st.lists(on_grid(-(10**6), 10**6, 6), max_size=12)


@PROPERTY
@given(history=samples, window=st.integers(2, 6), older=samples)
def test_velocity_uses_exactly_the_last_window_samples(
    history: list[Decimal], window: int, older: list[Decimal]
) -> None:
    velocity = drift_velocity(history, window)
    if len(history) < window:
        assert velocity == 0
        return
    expected = CONTEXT.divide(history[-1] - history[-window], Decimal(window - 1))
    assert velocity == expected
    # Nothing before the window counts.
    assert drift_velocity([*older, *history], window) == velocity


def test_velocity_examples() -> None:
    three = [Decimal("0.10"), Decimal("0.12"), Decimal("0.16")]
    assert drift_velocity(three, 3) == Decimal("0.03")
    assert drift_velocity(three[:2], 3) == 0
    assert drift_velocity([Decimal("9"), *three], 3) == Decimal("0.03")
    assert drift_velocity(three, 2) == Decimal("0.04")
    with pytest.raises(ValueError, match="at least 2"):
        drift_velocity(three, 1)


def test_compute_drift_appends_this_check_and_trims_to_the_window() -> None:
    targets = {"X": Decimal("0.5"), "USDT": Decimal("0.5")}
    old = [Decimal("0.9"), Decimal("0.5"), Decimal("0.10"), Decimal("0.14")]
    data = account(
        {"X": (Decimal(6), Decimal(100))},
        Decimal(400),
        targets,
        history={"X": old},
        policy={"velocity_window": 3},
    )
    report = compute_drift(snapshot_of(data))
    row = report.of("X")
    assert row.drift == Decimal("0.1")
    assert report.history["X"] == (Decimal("0.10"), Decimal("0.14"), Decimal("0.1"))
    assert row.velocity == Decimal("0")
    wider = snapshot_of({**data, "policy": {"velocity_window": 5}})
    assert compute_drift(wider).of("X").velocity == CONTEXT.divide(
        Decimal("0.1") - Decimal("0.9"), Decimal(4)
    )
