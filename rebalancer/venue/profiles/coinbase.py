"""Coinbase Advanced Trade spot (api/v3/brokerage)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rebalancer.venue.profiles.profile import ClientIdRule, Request, VenueProfile
from rebalancer.venue.rate_limit import VenueLimits


@dataclass(frozen=True)
class CoinbaseProfile(VenueProfile):
    def cancel(self, symbol: str, client_id: str, venue_order_id: str | None) -> Request | None:
        # Coinbase cancels by its own order id only.
        if venue_order_id is None:
            return None
        return Request("cancel_order", (venue_order_id, symbol), self.costs.cancel)


PROFILE = CoinbaseProfile(
    exchange_id="coinbase",
    title="Coinbase Advanced Trade",
    client_ids=ClientIdRule(max_length=36, pattern=re.compile(r"[A-Za-z0-9_-]{1,36}")),
    lookup="scan",
    limits=VenueLimits(weight=10, weight_window=1.0, orders=30, order_window=1.0),
)
