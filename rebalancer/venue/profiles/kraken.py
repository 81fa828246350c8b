"""Kraken spot (REST 0)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rebalancer.venue.profiles.profile import ClientIdRule, Request, VenueProfile
from rebalancer.venue.rate_limit import VenueLimits

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@dataclass(frozen=True)
class KrakenProfile(VenueProfile):
    def find(self, symbol: str, client_id: str) -> tuple[Request, ...]:
        params = {"clientOrderId": client_id}
        return (
            Request("fetch_open_orders", (symbol, None, None, params), self.costs.open_orders),
            Request("fetch_closed_orders", (symbol, None, None, params), self.costs.closed_orders),
        )

    def cancel(self, symbol: str, client_id: str, venue_order_id: str | None) -> Request | None:
        return Request(
            "cancel_order",
            (venue_order_id, symbol, {"clientOrderId": client_id}),
            self.costs.cancel,
        )


PROFILE = KrakenProfile(
    exchange_id="kraken",
    title="Kraken spot",
    client_ids=ClientIdRule(max_length=36, pattern=re.compile(UUID), digest_form="uuid"),
    lookup="native",
    limits=VenueLimits(weight=15, weight_window=45.0, orders=60, order_window=60.0),
    max_book_depth=500,
    trades_page=50,
)
