"""The joint step: band-edge for one asset, cash counted for several, optimal either way."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rebalancer.domain.joint_step import joint_step

drift = st.decimals(min_value=Decimal("-0.2"), max_value=Decimal("0.2"), places=5)
band = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("0.1"), places=4)


@given(drift, band)
def test_one_asset_against_cash_is_trading_back_to_the_band_edge(d: Decimal, b: Decimal) -> None:
    move = joint_step({"BTC": d}, -d, {"BTC": b})["BTC"]
    if abs(d) <= b:
        assert move == 0
    else:
        edge = b if d > 0 else -b
        assert abs((d + move) - edge) < Decimal("1e-20")


def test_assets_rising_together_trade_for_cash_when_no_band_is_crossed() -> None:
    # Each asset is within its 1% band; cash is 2.4% short. A per-asset band trades nothing.
    drifts = {"BTC": Decimal("0.009"), "ETH": Decimal("0.008"), "LINK": Decimal("0.007")}
    moves = joint_step(drifts, Decimal("-0.024"), dict.fromkeys(drifts, Decimal("0.01")))
    assert all(m <= 0 for m in moves.values())
    assert sum(moves.values()) < 0


def _objective(
    drifts: dict[str, Decimal], cash: Decimal, bands: dict[str, Decimal], moves: dict[str, Decimal]
) -> Decimal:
    after = sum(((drifts[a] + moves[a]) ** 2 for a in drifts), Decimal(0))
    cash_after = (cash - sum(moves.values(), Decimal(0))) ** 2
    return after + cash_after + sum((4 * bands[a] * abs(moves[a]) for a in drifts), Decimal(0))


@settings(max_examples=60)
@given(st.lists(drift, min_size=1, max_size=5), st.lists(band, min_size=5, max_size=5), drift)
def test_no_single_leg_change_lowers_the_objective(
    ds: list[Decimal], bs: list[Decimal], extra: Decimal
) -> None:
    names = [f"A{i}" for i in range(len(ds))]
    drifts = dict(zip(names, ds, strict=True))
    bands = dict(zip(names, bs[: len(ds)], strict=True))
    cash = -sum(ds, Decimal(0)) + extra / 10
    moves = joint_step(drifts, cash, bands)
    best = _objective(drifts, cash, bands, moves)
    for name in names:
        for nudge in (Decimal("0.0001"), Decimal("-0.0001")):
            tried = {**moves, name: moves[name] + nudge}
            assert _objective(drifts, cash, bands, tried) >= best - Decimal("1e-18")


def test_fixed_legs_count_against_cash() -> None:
    # An instruction sells 5% of ETH: cash is then 5% long, so BTC buys some of it back.
    free = joint_step({"BTC": Decimal("0")}, Decimal("0"), {"BTC": Decimal("0.005")})
    with_sale = joint_step(
        {"BTC": Decimal("0")},
        Decimal("0"),
        {"BTC": Decimal("0.005")},
        fixed={"ETH": Decimal("-0.05")},
    )
    assert free["BTC"] == 0
    assert with_sale["BTC"] > 0
