"""Bybit spot (v5)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rebalancer.venue.profiles.profile import ClientIdRule, Request, VenueProfile
from rebalancer.venue.rate_limit import VenueLimits


@dataclass(frozen=True)
class BybitProfile(VenueProfile):
    def find(self, symbol: str, client_id: str) -> tuple[Request, ...]:
        params = {"orderLinkId": client_id}
        return (
            Request("fetch_open_orders", (symbol, None, None, params), self.costs.open_orders),
            Request("fetch_closed_orders", (symbol, None, None, params), self.costs.closed_orders),
        )

    def cancel(self, symbol: str, client_id: str, venue_order_id: str | None) -> Request | None:
        return Request(
            "cancel_order", (venue_order_id, symbol, {"orderLinkId": client_id}), self.costs.cancel
        )


PROFILE = BybitProfile(
    exchange_id="bybit",
    title="Bybit spot",
    client_ids=ClientIdRule(max_length=36, pattern=re.compile(r"[A-Za-z0-9_-]{1,36}")),
    lookup="native",
    limits=VenueLimits(weight=600, weight_window=5.0, orders=20, order_window=1.0),
    max_book_depth=200,
    duplicate_markers=("170141", "12141", "110072"),
    ccxt_options={"defaultType": "spot"},
)
