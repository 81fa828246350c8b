"""Binance's rate limits: request weight per IP per minute, orders per account per 10 s.

Windows are fixed and aligned to the clock, as Binance's are; the weight window can be
shortened (``weight_window``, seconds) so tests see a 429 clear in a second or two. Past a
limit the answer is 429 with ``Retry-After`` (seconds to the end of the window). A client
that keeps sending after its 429s is banned: 418 with a ``Retry-After`` that doubles with
each ban, up to three days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rebalancer.paper.server.dialect import ApiError

MAX_BAN_SECONDS = 3 * 86_400.0
GRACE_SECONDS = 1.0


@dataclass
class _Window:
    start: float = 0.0
    used: int = 0


@dataclass
class _Offender:
    violations: int = 0
    # When this IP was first told to wait, and until when; 0 when it is not waiting.
    told_at: float = 0.0
    told_until: float = 0.0
    banned_until: float = 0.0
    bans: int = 0


class RateLimiter:
    def __init__(
        self,
        *,
        weight_limit: int = 6000,
        weight_window: int = 60,
        orders_limit: int = 100,
        ban_after: int = 10,
        ban_seconds: float = 120.0,
    ) -> None:
        self.configure(
            weight_limit=weight_limit,
            weight_window=weight_window,
            orders_limit=orders_limit,
            ban_after=ban_after,
            ban_seconds=ban_seconds,
        )
        self._weights: dict[str, _Window] = {}
        self._orders: dict[str, _Window] = {}
        self._offenders: dict[str, _Offender] = {}
        # 429 and 418 answers served since start: tests count them.
        self.rejected = 0
        self.banned = 0

    def configure(
        self,
        *,
        weight_limit: int | None = None,
        weight_window: int | None = None,
        orders_limit: int | None = None,
        ban_after: int | None = None,
        ban_seconds: float | None = None,
    ) -> None:
        for name, value in (
            ("weight_limit", weight_limit),
            ("weight_window", weight_window),
            ("orders_limit", orders_limit),
            ("ban_after", ban_after),
        ):
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1")
        if ban_seconds is not None and ban_seconds <= 0:
            raise ValueError("ban_seconds must be positive")
        if weight_limit is not None:
            self.weight_limit = weight_limit
        if weight_window is not None:
            self.weight_window = weight_window
        if orders_limit is not None:
            self.orders_limit = orders_limit
        if ban_after is not None:
            self.ban_after = ban_after
        if ban_seconds is not None:
            self.ban_seconds = ban_seconds

    def reset(self) -> None:
        self._weights.clear()
        self._orders.clear()
        self._offenders.clear()

    @staticmethod
    def _window(windows: dict[str, _Window], key: str, now: float, length: float) -> _Window:
        start = math.floor(now / length) * length
        window = windows.get(key)
        if window is None or window.start != start:
            window = windows[key] = _Window(start)
        return window

    def used_weight(self, ip: str, now: float) -> int:
        return self._window(self._weights, ip, now, self.weight_window).used

    def charge_weight(self, ip: str, weight: int, now: float) -> int:
        """Count ``weight`` for ``ip``; raise 429/418 instead when over the limit."""
        offender = self._offenders.get(ip)
        if offender is not None and offender.banned_until > now:
            raise self._ban(offender, now)
        window = self._window(self._weights, ip, now, self.weight_window)
        if window.used + weight > self.weight_limit:
            wait = max(1, math.ceil(window.start + self.weight_window - now))
            if self._violation(ip, now, now + wait):
                raise self._ban(self._offenders[ip], now)
            raise ApiError(
                429,
                -1003,
                f"Too much request weight used; current limit is {self.weight_limit} request "
                f"weight per {self._window_text()}. Please use WebSocket Streams for live "
                "updates to avoid polling the API.",
                {"Retry-After": str(wait)},
            )
        window.used += weight
        return window.used

    def charge_order(self, account: str, ip: str, now: float) -> int:
        window = self._window(self._orders, account, now, 10.0)
        if window.used + 1 > self.orders_limit:
            wait = max(1, math.ceil(window.start + 10 - now))
            # A ban earned here shows from the next request's weight check on.
            self._violation(ip, now, now + wait)
            raise ApiError(
                429,
                -1015,
                f"Too many new orders; current limit is {self.orders_limit} orders per 10 SECOND.",
                {"Retry-After": str(wait)},
            )
        window.used += 1
        return window.used

    def _ban(self, offender: _Offender, now: float) -> ApiError:
        self.banned += 1
        until = int(offender.banned_until * 1000)
        return ApiError(
            418,
            -1003,
            f"Way too much request weight used; IP banned until {until}. Please use "
            "WebSocket Streams for live updates to avoid bans.",
            {"Retry-After": str(math.ceil(offender.banned_until - now))},
        )

    def _window_text(self) -> str:
        if self.weight_window % 60 == 0:
            return f"{self.weight_window // 60} MINUTE"
        return f"{self.weight_window} SECOND"

    def _violation(self, ip: str, now: float, retry_at: float) -> bool:
        """Count a 429; return whether it earned a ban.

        Only a request that arrives while the IP should be waiting, and after it has had
        ``GRACE_SECONDS`` to hear so, is abuse: requests already in flight together with
        the first refused one are not.
        """
        self.rejected += 1
        offender = self._offenders.setdefault(ip, _Offender())
        if now >= offender.told_until:
            offender.told_at, offender.told_until, offender.violations = now, retry_at, 0
            return False
        offender.told_until = max(offender.told_until, retry_at)
        if now - offender.told_at < GRACE_SECONDS:
            return False
        offender.violations += 1
        if offender.violations > self.ban_after:
            seconds = min(MAX_BAN_SECONDS, self.ban_seconds * 2**offender.bans)
            offender.banned_until = now + seconds
            offender.bans += 1
            offender.violations = 0
            self.rejected -= 1  # answered with 418 instead
            return True
        return False

    def describe(self, now: float) -> dict[str, Any]:
        return {
            "weight_limit": self.weight_limit,
            "weight_window": self.weight_window,
            "orders_limit": self.orders_limit,
            "ban_after": self.ban_after,
            "ban_seconds": self.ban_seconds,
            "banned": sorted(ip for ip, o in self._offenders.items() if o.banned_until > now),
            "rejected_429": self.rejected,
            "rejected_418": self.banned,
        }
