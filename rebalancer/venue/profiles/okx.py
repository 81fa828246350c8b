"""OKX spot (api/v5)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rebalancer.venue.profiles.profile import ClientIdRule, Request, VenueProfile
from rebalancer.venue.rate_limit import VenueLimits


@dataclass(frozen=True)
class OkxProfile(VenueProfile):
    def find(self, symbol: str, client_id: str) -> tuple[Request, ...]:
        return (
            Request("fetch_order", (None, symbol, {"clOrdId": client_id}), self.costs.get_order),
        )

    def cancel(self, symbol: str, client_id: str, venue_order_id: str | None) -> Request | None:
        return Request(
            "cancel_order", (venue_order_id, symbol, {"clOrdId": client_id}), self.costs.cancel
        )


PROFILE = OkxProfile(
    exchange_id="okx",
    title="OKX spot",
    client_ids=ClientIdRule(max_length=32, pattern=re.compile(r"[A-Za-z0-9]{1,32}")),
    lookup="native",
    limits=VenueLimits(weight=20, weight_window=2.0, orders=60, order_window=2.0),
    max_book_depth=400,
    duplicate_markers=("51016",),
    ccxt_options={"defaultType": "spot"},
)
