"""Whether an account's weights call for a trade at all: the no-trade region of ``decide``.

``decide`` leaves a leg alone while it is inside its band (``leg_goals``); with joint sizing
the region is the set where the joint step moves nothing. Starting from no move, the joint
step's first sweep gives leg ``i`` the soft threshold of ``(d_cash - d_i) / 2`` at ``b_i``, and
a sweep that moves nothing is its fixed point, so the joint region is exactly
``|d_cash - d_i| <= 2 b_i`` for every leg (``joint_step``). Inside the region velocity does
not matter: no rule trades a leg inside its band, whatever its trend.

Two forms of the same rule:

- ``outside_region``: exact, in Decimal, for one account; the tests hold it to ``leg_goals``.
- ``outside_regions``: every account of a fleet at once, in binary floating point, for the
  fleet watcher (``rebalancer.watch``), which only decides whom to wake. Its thresholds are
  shrunk by ``SCREEN_SLACK``, far above float64's rounding (about 1e-15 relative here), so it
  may wake an account a hair early but never misses one the exact rule would trade. The
  woken account decides in Decimal, on fresh balances and books.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from rebalancer.domain.bands import band_of
from rebalancer.domain.decide import Plan
from rebalancer.domain.market import Frozen
from rebalancer.domain.numbers import Dec, Fraction
from rebalancer.domain.policy_settings import Sizing
from rebalancer.domain.snapshot import Snapshot

SCREEN_SLACK = 1e-9
# How much further a leg left alone past its band must drift before it is woken again.
REGROWTH = Decimal("0.1")

Floats = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]


class NoTradeRegion(Frozen):
    """An account's no-trade region as of its last decision: its targets, each priced
    asset's band, and how its legs are sized. The fleet watcher screens the account against
    it until the next cycle."""

    quote: str
    targets: dict[str, Fraction]
    bands: dict[str, Dec]
    sizing: Sizing

    def holds(self, holdings: Mapping[str, Decimal], mids: Mapping[str, Decimal]) -> bool:
        """Whether ``holdings`` at ``mids`` (per asset, in the quote) lie inside the region;
        an asset without a mid cannot be judged and counts as inside."""
        values = {a: q * mids[a] for a, q in holdings.items() if a != self.quote and a in mids}
        cash = holdings.get(self.quote, Decimal(0))
        equity = sum(values.values(), cash)
        if equity <= 0:
            return True
        drifts = {
            asset: values.get(asset, Decimal(0)) / equity - self.targets[asset]
            for asset in self.bands
            if asset in mids
        }
        cash_drift = cash / equity - self.targets.get(self.quote, Decimal(0))
        return not outside_region(drifts, cash_drift, self.bands, self.sizing)


def outside_region(
    drifts: Mapping[str, Decimal],
    cash_drift: Decimal,
    bands: Mapping[str, Decimal],
    sizing: Sizing,
) -> bool:
    """True when ``decide`` would move some leg (before minimum order and cost gate)."""
    if sizing == "joint":
        return any(abs(cash_drift - drift) > 2 * bands[asset] for asset, drift in drifts.items())
    return any(abs(drift) > bands[asset] for asset, drift in drifts.items())


def region_after(snapshot: Snapshot, plan: Plan) -> NoTradeRegion:
    """The region an account is screened by after deciding ``plan`` on ``snapshot``.

    A leg past its band that the plan left alone (the cost gate found it not worth its
    cost, or it is below the minimum order) would be woken again at once by its band, and
    decided the same way again. Its band is widened to just past where it stands, by
    ``REGROWTH`` of it: the account is woken when the leg has drifted further, where the fall
    in the cost of inaction is larger, and the next cycle sets the band back.
    """
    bands = region_bands(snapshot)
    sizing = snapshot.policy.sizing
    cash_drift = plan.of(snapshot.quote).drift
    for asset, band in bands.items():
        decision = plan.of(asset)
        if decision.order is not None:
            continue
        reach = abs(cash_drift - decision.drift) / 2 if sizing == "joint" else abs(decision.drift)
        if reach > band:
            bands[asset] = reach * (1 + REGROWTH)
    return NoTradeRegion(
        quote=snapshot.quote, targets=dict(snapshot.targets), bands=bands, sizing=sizing
    )


def region_bands(snapshot: Snapshot) -> dict[str, Decimal]:
    """Each targeted asset's band as ``decide`` reads it on ``snapshot``; assets without a
    price there are left out (nothing can value them until the next look)."""
    return {
        asset: band_of(snapshot, asset)
        for asset in snapshot.targets
        if asset != snapshot.quote and snapshot.symbol(asset) in snapshot.prices
    }


def outside_regions(drifts: Floats, cash_drifts: Floats, bands: Floats, joint: Flags) -> Flags:
    """Per account (rows), whether it may be outside its region. Columns are assets; an
    asset an account has no target for carries band ``inf``."""
    return beyond(reaches(drifts, cash_drifts, bands, joint))


def beyond(reach: Floats) -> Flags:
    """Whether each reach (``reaches``) may be outside its region, by the screen's slack."""
    outside: Flags = reach > 1.0 - SCREEN_SLACK
    return outside


def reaches(drifts: Floats, cash_drifts: Floats, bands: Floats, joint: Flags) -> Floats:
    """Per account, how far its furthest leg is out, in units of that leg's band: 1 is the
    edge of the region, 2 twice as far out as the band allows."""
    alone = np.abs(drifts)
    together = np.abs(cash_drifts[:, None] - drifts) / 2.0
    reach: Floats = (np.where(joint[:, None], together, alone) / bands).max(axis=1, initial=0.0)
    return reach
