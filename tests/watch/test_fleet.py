"""The fleet screens every account at once, by the same region ``NoTradeRegion.holds`` reads
exactly, and keeps the later of two holdings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rebalancer.domain.no_trade import NoTradeRegion
from rebalancer.watch.fleet import Fleet
from tests.domain.strategies import PROPERTY, on_grid

D = Decimal
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def region(band: str = "0.02", sizing: str = "band_edge", **targets: str) -> NoTradeRegion:
    weights = {a: D(w) for a, w in (targets or {"BTC": "0.5", "USDT": "0.5"}).items()}
    return NoTradeRegion(
        quote="USDT",
        targets=weights,
        bands={a: D(band) for a in weights if a != "USDT"},
        sizing=sizing,  # type: ignore[arg-type]
    )


def test_an_account_on_target_stays_and_a_move_past_the_band_wakes_it() -> None:
    fleet = Fleet("USDT")
    fleet.put("a", region(), {"BTC": D(1), "USDT": D(100)}, T0)
    assert fleet.outside({"BTC": D(100)}) == []
    # BTC at 110: weight 110/210 = 52.4%, 2.4% past target, past a 2% band.
    assert fleet.outside({"BTC": D(110)}) == ["a"]
    assert fleet.outside({"BTC": D(107)}) == []


def test_accounts_are_judged_each_by_its_own_region() -> None:
    fleet = Fleet("USDT")
    fleet.put("tight", region("0.01"), {"BTC": D(1), "USDT": D(100)}, T0)
    fleet.put("loose", region("0.05"), {"BTC": D(1), "USDT": D(100)}, T0)
    fleet.put("eth", region("0.01", ETH="0.5", USDT="0.5"), {"ETH": D(10), "USDT": D(100)}, T0)
    assert sorted(fleet.outside({"BTC": D(106), "ETH": D(10)})) == ["tight"]
    assert sorted(fleet.outside({"BTC": D(125), "ETH": D(11)})) == ["eth", "loose", "tight"]


def test_the_furthest_out_come_first() -> None:
    fleet = Fleet("USDT")
    for name, band in (("loose", "0.04"), ("tight", "0.01"), ("middle", "0.02")):
        fleet.put(name, region(band), {"BTC": D(1), "USDT": D(100)}, T0)
    # BTC at 125: 55.6% against 50%, 5.6 points out: 5.6, 2.8 and 1.4 bands.
    assert fleet.outside({"BTC": D(125)}) == ["tight", "middle", "loose"]


def test_an_asset_without_a_price_leaves_its_holders_unjudged() -> None:
    fleet = Fleet("USDT")
    fleet.put("a", region(), {"BTC": D(1), "USDT": D(100)}, T0)
    fleet.put("b", region(ETH="0.5", USDT="0.5"), {"ETH": D(1), "USDT": D(1)}, T0)
    assert fleet.outside({"ETH": D(100)}) == ["b"]


def test_older_holdings_never_replace_newer_ones() -> None:
    fleet = Fleet("USDT")
    fleet.put("a", region(), {"BTC": D(1), "USDT": D(100)}, T0)
    assert fleet.update_holdings("a", {"BTC": D(2), "USDT": D(100)}, T0 + timedelta(minutes=5))
    assert not fleet.update_holdings("a", {"BTC": D(1), "USDT": D(100)}, T0 + timedelta(minutes=1))
    # A region written with the ledger's older balances keeps the fresher venue read.
    fleet.put("a", region(), {"BTC": D(1), "USDT": D(100)}, T0 + timedelta(minutes=2))
    assert fleet.outside({"BTC": D(100)}) == ["a"]


def test_removed_accounts_are_not_screened_and_their_row_is_reused() -> None:
    fleet = Fleet("USDT")
    for index in range(200):
        fleet.put(f"a{index}", region(), {"BTC": D(1), "USDT": D(100)}, T0)
    for index in range(0, 200, 2):
        fleet.remove(f"a{index}")
    assert len(fleet) == 100
    woken = fleet.outside({"BTC": D(150)})
    assert sorted(woken) == sorted(f"a{i}" for i in range(1, 200, 2))
    fleet.put("new", region(), {"BTC": D(1), "USDT": D(100)}, T0)
    assert "new" in fleet.outside({"BTC": D(150)})


@PROPERTY
@given(
    st.lists(
        st.tuples(on_grid(0, 500_000, 4), on_grid(0, 500_000, 4), on_grid(0, 10_000_000, 2)),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["band_edge", "joint"]),
    on_grid(10, 500, 4),
    on_grid(1_000, 100_000_00, 2),
    on_grid(100, 1_000_00, 2),
)
def test_the_screen_wakes_every_account_the_exact_region_does_not_hold(
    rows: list[tuple[Decimal, Decimal, Decimal]],
    sizing: str,
    band: Decimal,
    btc: Decimal,
    eth: Decimal,
) -> None:
    fleet = Fleet("USDT")
    exact = region(str(band), sizing, BTC="0.4", ETH="0.3", USDT="0.3")
    held: dict[str, dict[str, Decimal]] = {}
    for index, (b, e, cash) in enumerate(rows):
        held[f"a{index}"] = {"BTC": b, "ETH": e, "USDT": cash}
        fleet.put(f"a{index}", exact, held[f"a{index}"], T0)
    mids = {"BTC": btc, "ETH": eth}
    woken = set(fleet.outside(mids))
    for account, holdings in held.items():
        if not exact.holds(holdings, mids):
            assert account in woken
