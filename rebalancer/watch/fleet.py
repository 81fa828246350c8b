"""Every watched account of one venue and quote currency, screened at once.

Prices move every account together; holdings change only when an account trades or moves
funds. So the fleet keeps holdings, targets and bands as rows of arrays (one column per
asset) and, for each new set of prices, computes every account's drift in a few vector
operations, instead of one look per account. ``domain.no_trade.outside_regions`` is the rule;
the arrays are binary floats because they only choose whom to wake (see there).

Holdings carry the time they were true: the ledger's after our own fills, the venue's from
the watcher's staggered refresh. The later one wins, so a stale ledger row never overwrites
a fresher read of the venue.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import numpy as np

from rebalancer.domain.no_trade import Floats, NoTradeRegion, beyond, reaches

INITIAL_ROWS = 64


class Fleet:
    def __init__(self, quote: str) -> None:
        self.quote = quote
        self._rows: dict[str, int] = {}
        self._ids: list[str | None] = []
        self._free: list[int] = []
        self._columns: dict[str, int] = {}
        self._holdings_at: dict[str, datetime | None] = {}
        self._holdings = np.zeros((INITIAL_ROWS, 0))
        self._targets = np.zeros((INITIAL_ROWS, 0))
        self._bands = np.full((INITIAL_ROWS, 0), np.inf)
        self._cash = np.zeros(INITIAL_ROWS)
        self._cash_target = np.zeros(INITIAL_ROWS)
        self._joint = np.zeros(INITIAL_ROWS, dtype=np.bool_)
        self._live = np.zeros(INITIAL_ROWS, dtype=np.bool_)

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def assets(self) -> list[str]:
        """Assets some account targets: the prices a screen needs."""
        return list(self._columns)

    def put(
        self,
        account_id: str,
        region: NoTradeRegion,
        holdings: Mapping[str, Decimal],
        holdings_at: datetime | None,
    ) -> None:
        """Add the account, or replace its region (and its holdings, unless ours are later)."""
        row = self._row(account_id)
        for asset in region.targets:
            if asset != self.quote:
                self._column(asset)
        self._targets[row] = 0.0
        self._bands[row] = np.inf
        for asset, weight in region.targets.items():
            if asset == self.quote:
                continue
            column = self._columns[asset]
            self._targets[row, column] = float(weight)
            if asset in region.bands:
                self._bands[row, column] = float(region.bands[asset])
        self._cash_target[row] = float(region.targets.get(self.quote, Decimal(0)))
        self._joint[row] = region.sizing == "joint"
        known = self._holdings_at.get(account_id)
        if known is None or holdings_at is None or holdings_at >= known:
            self.update_holdings(account_id, holdings, holdings_at)

    def update_holdings(
        self, account_id: str, holdings: Mapping[str, Decimal], as_of: datetime | None
    ) -> bool:
        """Replace the account's holdings if ``as_of`` is not older than what is known."""
        row = self._rows.get(account_id)
        if row is None:
            return False
        known = self._holdings_at.get(account_id)
        if known is not None and as_of is not None and as_of < known:
            return False
        self._holdings_at[account_id] = as_of
        self._holdings[row] = 0.0
        self._cash[row] = float(holdings.get(self.quote, Decimal(0)))
        for asset, quantity in holdings.items():
            column = self._columns.get(asset)
            if column is not None:
                self._holdings[row, column] = float(quantity)
        return True

    def remove(self, account_id: str) -> None:
        row = self._rows.pop(account_id, None)
        if row is None:
            return
        self._holdings_at.pop(account_id, None)
        self._ids[row] = None
        self._live[row] = False
        self._free.append(row)

    def outside(self, mids: Mapping[str, Decimal]) -> list[str]:
        """Accounts whose drift at ``mids`` (asset -> price in the quote) may be outside
        their no-trade region, furthest out first (when many leave at once, the worker
        takes the most urgent first). An account holding or targeting an asset without a
        mid is not judged."""
        size = len(self._ids)
        if not self._rows:
            return []
        prices = np.full(len(self._columns), np.nan)
        for asset, column in self._columns.items():
            mid = mids.get(asset)
            if mid is not None and mid > 0:
                prices[column] = float(mid)
        holdings = self._holdings[:size]
        values = holdings * prices
        # An unpriced column matters only where the account holds or targets it.
        used = (holdings != 0) | (self._targets[:size] != 0)
        values = np.where(used, values, 0.0)
        equity = values.sum(axis=1) + self._cash[:size]
        judged = self._live[:size] & np.isfinite(equity) & (equity > 0)
        safe = np.where(judged, equity, 1.0)
        drifts = values / safe[:, None] - self._targets[:size]
        cash_drifts = self._cash[:size] / safe - self._cash_target[:size]
        reach = reaches(drifts, cash_drifts, self._bands[:size], self._joint[:size])
        rows = np.flatnonzero(beyond(reach) & judged)
        rows = rows[np.argsort(-reach[rows], kind="stable")]
        return [identity for row in rows if (identity := self._ids[row]) is not None]

    def _row(self, account_id: str) -> int:
        row = self._rows.get(account_id)
        if row is not None:
            return row
        if self._free:
            row = self._free.pop()
            self._ids[row] = account_id
        else:
            row = len(self._ids)
            self._ids.append(account_id)
            if row >= self._holdings.shape[0]:
                self._grow_rows(2 * self._holdings.shape[0])
        self._rows[account_id] = row
        self._live[row] = True
        self._holdings[row] = 0.0
        self._cash[row] = 0.0
        return row

    def _column(self, asset: str) -> int:
        column = self._columns.get(asset)
        if column is not None:
            return column
        column = len(self._columns)
        self._columns[asset] = column
        rows = self._holdings.shape[0]
        self._holdings = np.hstack([self._holdings, np.zeros((rows, 1))])
        self._targets = np.hstack([self._targets, np.zeros((rows, 1))])
        self._bands = np.hstack([self._bands, np.full((rows, 1), np.inf)])
        return column

    def _grow_rows(self, rows: int) -> None:
        def grown(array: Floats, fill: float) -> Floats:
            extra = np.full((rows - array.shape[0], *array.shape[1:]), fill)
            return np.concatenate([array, extra])

        self._holdings = grown(self._holdings, 0.0)
        self._targets = grown(self._targets, 0.0)
        self._bands = grown(self._bands, np.inf)
        self._cash = grown(self._cash, 0.0)
        self._cash_target = grown(self._cash_target, 0.0)
        self._joint = np.concatenate([self._joint, np.zeros(rows - len(self._joint), np.bool_)])
        self._live = np.concatenate([self._live, np.zeros(rows - len(self._live), np.bool_)])
