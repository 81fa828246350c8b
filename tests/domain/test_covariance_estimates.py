"""The account's covariance estimates: weighted like its volatility, from the same samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rebalancer.domain.drift import AssetDrift, DriftReport
from rebalancer.domain.numbers import sqrt
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.snapshot import known_pairs
from rebalancer.domain.tracking import Tracking, correlations, observe
from rebalancer.domain.volatility import decay, step_return, update_covariance, update_volatility
from tests.domain.strategies import PROPERTY, on_grid

D = Decimal
START = datetime(2024, 1, 1, tzinfo=UTC)
POLICY = PolicySettings()


PRICE = on_grid(1, 10**6, 2)
MOVE = st.tuples(PRICE, PRICE)


@PROPERTY
@given(sigma=on_grid(1, 300, 2), move=MOVE, elapsed=on_grid(1, 10**6, 0))
def test_an_asset_s_covariance_with_itself_is_its_variance(
    sigma: Decimal, move: tuple[Decimal, Decimal], elapsed: Decimal
) -> None:
    half_life = D(86_400)
    moved, keep = step_return(*move), decay(elapsed, half_life)
    variance = update_covariance(sigma * sigma, moved, moved, elapsed, keep)
    volatility = update_volatility(sigma, *move, elapsed, half_life)
    assert abs(sqrt(variance) - volatility) <= volatility * D("1e-30")
    # No time, no news.
    assert update_covariance(sigma, moved, moved, D(0), keep) == sigma


def _report(prices: dict[str, Decimal]) -> DriftReport:
    rows = tuple(
        AssetDrift(
            asset=asset,
            quantity=D(1),
            price=price,
            value=price,
            weight=D(0),
            target=D(0),
            drift=D(0),
            velocity=D(0),
        )
        for asset, price in prices.items()
    )
    return DriftReport(equity=D(1), assets=rows, history={})


def _track(paths: dict[str, list[Decimal]], policy: PolicySettings = POLICY) -> Tracking:
    tracking = Tracking()
    steps = len(next(iter(paths.values())))
    for step in range(steps):
        prices = {asset: path[step] for asset, path in paths.items()}
        at = START + timedelta(hours=step)
        tracking = observe(tracking, _report(prices), at, policy, "USDT")
    return tracking


def _zigzag(steps: int, up: str, down: str) -> list[Decimal]:
    return [D(100) * (D(up) if i % 2 else D(down)) for i in range(steps)]


def test_assets_that_move_together_are_estimated_correlated_and_opposite_ones_not() -> None:
    # 240 hourly samples: ten half-lives of a 24 h estimate, the prior all but gone.
    fast = PolicySettings(correlation_half_life_hours=D(24))
    together = _track({"A": _zigzag(240, "1.01", "1"), "B": _zigzag(240, "1.02", "1")}, fast)
    apart = _track({"A": _zigzag(240, "1.01", "1"), "B": _zigzag(240, "1", "1.02")}, fast)
    assert correlations(together)["A"]["B"] > D("0.99")
    assert correlations(apart)["A"]["B"] < D("-0.99")
    # Each pair once, alphabetically, variances included.
    assert {a: set(row) for a, row in together.covariance.items()} == {"A": {"A", "B"}, "B": {"B"}}
    # At the default half-life (30 days) ten days leave much of the prior (0.5).
    slow = _track({"A": _zigzag(240, "1.01", "1"), "B": _zigzag(240, "1.02", "1")})
    assert D("0.5") < correlations(slow)["A"]["B"] < D("0.99")


def test_with_prices_unchanged_the_prior_fades_no_faster_than_the_volatility() -> None:
    policy = PolicySettings(default_correlation=D("0.3"))
    flat = _track({"A": [D(5)] * 10, "B": [D(7)] * 10}, policy)
    assert correlations(flat) == {"A": {"B": D("0.300000")}}


def test_correlations_are_of_known_assets_within_minus_one_and_one() -> None:
    tracking = Tracking(
        covariance={
            "A": {"A": D("0.25"), "B": D("0.3"), "C": D("-0.7")},
            "B": {"B": D("0.25"), "C": D("0.1")},
            "C": {"C": D("1")},
        },
    )
    assert correlations(tracking) == {"A": {"B": D(1), "C": D(-1)}, "B": {"C": D("0.2")}}
    assert known_pairs(correlations(tracking), {"B", "C"}) == {"B": {"C": D("0.2")}}


def test_an_asset_that_leaves_is_forgotten_and_starts_again_from_the_prior() -> None:
    fast = PolicySettings(correlation_half_life_hours=D(24))
    tracking = _track({"A": _zigzag(240, "1.01", "1"), "B": _zigzag(240, "1.02", "1")}, fast)
    assert correlations(tracking)["A"]["B"] > D("0.99")
    # B is no longer reported (sold, or no longer a target) while A moves on alone.
    at = START + timedelta(hours=240)
    tracking = observe(tracking, _report({"A": D(100)}), at, fast, "USDT")
    assert tracking.covariance == {"A": {"A": tracking.covariance["A"]["A"]}}
    # Back, B's pair with A starts at the prior, not at what it was when B left.
    for hour in (241, 242):
        prices = {"A": D(100), "B": D(100)}
        tracking = observe(tracking, _report(prices), START + timedelta(hours=hour), fast, "USDT")
    assert correlations(tracking) == {"A": {"B": D("0.500000")}}


def test_a_pair_first_seen_late_starts_at_the_prior_between_the_variances_it_has() -> None:
    # A alone for a day of hourly zigzags, then B joins; one flat hour after that.
    tracking = _track({"A": _zigzag(24, "1.01", "1")})
    variance = tracking.covariance["A"]["A"]
    for hour, b in ((24, D(50)), (25, D(50))):
        prices = {"A": D(100), "B": b}
        tracking = observe(tracking, _report(prices), START + timedelta(hours=hour), POLICY, "USDT")
    # Flat prices decay every entry alike: the correlation is the prior's, whatever A's own
    # variance had become, and B's variance started at the default's.
    assert correlations(tracking) == {"A": {"B": D("0.500000")}}
    assert variance != POLICY.default_volatility**2
