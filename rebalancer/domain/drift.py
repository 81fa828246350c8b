"""Weights, drift and drift velocity, exact to the domain context."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Protocol, TypeVar

from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.market import Frozen
from rebalancer.domain.numbers import ZERO, Dec, div, exact
from rebalancer.domain.snapshot import Snapshot


class _PerAsset(Protocol):
    @property
    def asset(self) -> str: ...


_Row = TypeVar("_Row", bound=_PerAsset)


def row_of(rows: Iterable[_Row], asset: str) -> _Row:
    """The row of ``asset`` in a report that has one row per asset."""
    for row in rows:
        if row.asset == asset:
            return row
    raise KeyError(asset)


class AssetDrift(Frozen):
    asset: str
    quantity: Dec
    price: Dec
    value: Dec
    weight: Dec
    target: Dec
    # weight - target: positive means overweight (sell), negative underweight (buy).
    drift: Dec
    # Change of drift per check, over the velocity window; 0 until the window is full.
    velocity: Dec


class DriftReport(Frozen):
    equity: Dec
    assets: tuple[AssetDrift, ...]
    # History with this check's drift appended, trimmed to the window: the caller keeps it.
    history: dict[str, tuple[Dec, ...]]

    def of(self, asset: str) -> AssetDrift:
        return row_of(self.assets, asset)

    @property
    @exact
    def max_abs_drift(self) -> Decimal:
        return max((abs(row.drift) for row in self.assets), default=ZERO)


@exact
def drift_velocity(samples: Sequence[Decimal], window: int) -> Decimal:
    """Slope of drift per check over the last ``window`` samples (oldest first).

    Fewer samples than the window give 0: too little evidence to call a trend, which is the
    conservative answer because velocity only ever changes urgency.
    """
    if window < 2:
        raise ValueError("window must be at least 2")
    if len(samples) < window:
        return ZERO
    recent = samples[-window:]
    return div(recent[-1] - recent[0], Decimal(window - 1))


def append_sample(
    history: Mapping[str, Sequence[Decimal]], asset: str, drift: Decimal, window: int
) -> tuple[Decimal, ...]:
    return (*history.get(asset, ()), drift)[-window:]


@exact
def compute_drift(snapshot: Snapshot, *, sample: bool = True) -> DriftReport:
    """Weights and drift now, with velocity over the snapshot's history.

    ``sample`` appends this drift to the history (a regular check). A second look within
    the same check (a re-detect after the sells) must not: it would count one check twice
    and bend the velocity. Without it the history is kept as is and velocity read from it.
    """
    values: dict[str, Decimal] = {}
    prices: dict[str, Decimal] = {}
    for asset in snapshot.asset_order():
        prices[asset] = snapshot.mid(asset)
        values[asset] = snapshot.quantity(asset) * prices[asset]
    equity = sum(values.values(), ZERO)
    if equity <= 0:
        raise InvalidInput("positions", "equity must be positive (the account holds nothing)")
    window = snapshot.policy.velocity_window
    # The rows are computed here from a validated snapshot, under the domain context: built
    # without re-validating them (a fifth of a backtest's time went to that), as the
    # engine's books are (``OrderBook.trusted``).
    rows: list[AssetDrift] = []
    history: dict[str, tuple[Decimal, ...]] = {}
    for asset in snapshot.asset_order():
        weight = div(values[asset], equity)
        target = snapshot.target(asset)
        drift = weight - target
        if sample:
            history[asset] = append_sample(snapshot.history, asset, drift, window)
        else:
            history[asset] = tuple(snapshot.history.get(asset, ()))[-window:]
        rows.append(
            AssetDrift.model_construct(
                asset=asset,
                quantity=snapshot.quantity(asset),
                price=prices[asset],
                value=values[asset],
                weight=weight,
                target=target,
                drift=drift,
                velocity=drift_velocity(history[asset], window),
            )
        )
    return DriftReport.model_construct(equity=equity, assets=tuple(rows), history=history)
