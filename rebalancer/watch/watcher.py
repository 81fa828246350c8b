"""One venue's fleet watcher: one price feed for every account, a wake only when it counts.

Each tick the watcher
1. reads from the ledger the no-trade regions (and holdings) written since the last read:
   every cycle writes its account's, after its reconcile recorded the balances;
2. reads every quoted symbol's best bid and ask in one request, and screens each fleet
   (one per quote currency) at those mids;
3. wakes each account found outside its region, at most once per ``rewake_seconds`` unless
   a new region arrives (a woken account that could not trade, say for a thin book, holds
   its leg on its own timers meanwhile);
4. refreshes a few accounts' balances from the venue, round robin, within a request-weight
   budget: funds moved outside the system show up within one round.

It keeps no state that matters: a restarted watcher reads the ledger again. The account
workflow decides on fresh data when woken, and keeps a slow timer of its own.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol

import structlog

from rebalancer.domain.market import Quote, symbol_for
from rebalancer.ledger.records import WatchedAccount
from rebalancer.pipeline.messages import WakeRequest, WatchVenueReport, WatchVenueRequest
from rebalancer.watch.fleet import Fleet
from rebalancer.watch.pace import pace_for

log = structlog.get_logger("rebalancer.watch")


WAKE_CONCURRENCY = 64
REFRESH_CONCURRENCY = 8
# Re-read regions written this long before the last one seen: a transaction that committed
# late still shows (applying a row twice changes nothing).
LEDGER_OVERLAP = timedelta(seconds=30)


class WatchSources(Protocol):
    """What the watcher reads and calls; the activity adapts the ledger, the venue and
    Temporal to it."""

    async def watched(self, changed_after: datetime | None) -> list[WatchedAccount]: ...

    async def quotes(self, account_id: str, symbols: Sequence[str]) -> dict[str, Quote]: ...

    async def balances(self, account_id: str) -> dict[str, Decimal]: ...

    async def wake(self, account_id: str, request: WakeRequest) -> bool:
        """False when the account's workflow is gone (it leaves the fleet)."""
        ...


@dataclass
class _Refresh:
    order: deque[str] = field(default_factory=deque)
    tokens: float = 0.0
    last: float | None = None


class VenueWatcher:
    def __init__(
        self,
        sources: WatchSources,
        settings: WatchVenueRequest,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sources = sources
        self.settings = settings
        self.pace = pace_for(settings)
        self.fleets: dict[str, Fleet] = {}
        self.progress = WatchVenueReport()
        self._clock = clock
        self._now = now
        self._quote_of: dict[str, str] = {}
        self._region_at: dict[str, datetime] = {}
        self._woken_at: dict[str, float] = {}
        self._refresh = _Refresh()

    def accounts(self) -> int:
        return sum(len(fleet) for fleet in self.fleets.values())

    async def run(self, seconds: float, heartbeat: Callable[[WatchVenueReport], None]) -> None:
        """Tick until ``seconds`` have passed, calling ``heartbeat`` after every tick."""
        deadline = self._clock() + seconds
        while self._clock() < deadline:
            started = self._clock()
            await self.tick()
            heartbeat(self.progress)
            elapsed = self._clock() - started
            await asyncio.sleep(max(0.0, self.pace.tick_seconds - elapsed))

    async def tick(self) -> list[str]:
        """One round; the accounts woken."""
        await self.load()
        woken = await self.screen()
        await self.refresh_balances()
        self.progress.ticks += 1
        self.progress.accounts = self.accounts()
        return woken

    async def load(self) -> None:
        cursor = self.progress.cursor
        since = cursor - LEDGER_OVERLAP if cursor is not None else None
        for row in await self.sources.watched(since):
            self.apply(row)

    def apply(self, row: WatchedAccount) -> None:
        account = row.account_id
        seen = self._region_at.get(account)
        if seen is not None and row.updated_at <= seen:
            return
        quote = row.region.quote
        previous = self._quote_of.get(account)
        if previous is not None and previous != quote:
            self.fleets[previous].remove(account)
        if account not in self._quote_of:
            self._refresh.order.append(account)
        fleet = self.fleets.setdefault(quote, Fleet(quote))
        fleet.put(account, row.region, row.holdings, row.holdings_at)
        self._quote_of[account] = quote
        self._region_at[account] = row.updated_at
        # A new region is a new decision: the account may be called again at once.
        self._woken_at.pop(account, None)
        cursor = self.progress.cursor
        if cursor is None or row.updated_at > cursor:
            self.progress.cursor = row.updated_at

    def forget(self, account_id: str) -> None:
        quote = self._quote_of.pop(account_id, None)
        if quote is not None:
            self.fleets[quote].remove(account_id)
        self._region_at.pop(account_id, None)
        self._woken_at.pop(account_id, None)

    async def screen(self) -> list[str]:
        if not self._quote_of:
            return []
        symbols = sorted(
            {symbol_for(a, quote) for quote, fleet in self.fleets.items() for a in fleet.assets}
        )
        # Prices are public, read through one account's gateway; after a failure the next
        # read goes through the next account, so one account's revoked key cannot blind
        # the watch.
        turn = self.progress.feed_failures % len(self._quote_of)
        reader = next(itertools.islice(self._quote_of, turn, None))
        try:
            quotes = await self.sources.quotes(reader, symbols)
        except Exception as error:  # the venue's outage must not stop the watch
            self.progress.feed_failures += 1
            log.warning("price feed failed", account=reader, error=str(error)[:200])
            return []
        seen_at = self._now()
        started = time.process_time()
        outside: list[str] = []
        for quote, fleet in self.fleets.items():
            outside += fleet.outside(_mids(quotes, quote, fleet.assets))
        self.progress.screen_seconds = time.process_time() - started
        self.progress.screened += self.accounts()
        now = self._clock()
        due = [
            account
            for account in outside
            if now - self._woken_at.get(account, -float("inf")) >= self.settings.rewake_seconds
        ]
        await self._wake(due, seen_at)
        return due

    async def _wake(self, accounts: Sequence[str], seen_at: datetime) -> None:
        request = WakeRequest(seen_at=seen_at)

        async def call(account: str) -> None:
            try:
                alive = await self.sources.wake(account, request)
            except Exception as error:
                log.warning("wake failed", account=account, error=str(error)[:200])
                return
            if not alive:
                log.info("account gone: no longer watched", account=account)
                self.forget(account)
                return
            self._woken_at[account] = self._clock()
            self.progress.woken += 1

        await _each(accounts, WAKE_CONCURRENCY, call)

    async def refresh_balances(self) -> None:
        """Spend the refresh budget accrued since the last tick on the next accounts."""
        refresh, budget = self._refresh, self.pace.refresh_weight_per_minute
        weight = self.pace.balance_weight
        now = self._clock()
        if refresh.last is not None:
            # At most one minute's budget accrues: an idle spell does not buy a burst.
            refresh.tokens = min(refresh.tokens + budget / 60.0 * (now - refresh.last), budget)
        refresh.last = now
        count = int(refresh.tokens // weight)
        batch: list[str] = []
        while len(batch) < count and refresh.order:
            account = refresh.order.popleft()
            if account in self._quote_of:
                batch.append(account)
                refresh.order.append(account)
            if len(batch) >= len(self._quote_of):
                break
        refresh.tokens -= len(batch) * weight

        async def read(account: str) -> None:
            as_of = self._now()
            try:
                holdings = await self.sources.balances(account)
            except Exception as error:
                log.warning("balance refresh failed", account=account, error=str(error)[:200])
                return
            quote = self._quote_of.get(account)
            if quote is not None and self.fleets[quote].update_holdings(account, holdings, as_of):
                self.progress.refreshed += 1

        await _each(batch, REFRESH_CONCURRENCY, read)


async def _each(
    items: Sequence[str], concurrency: int, call: Callable[[str], Awaitable[None]]
) -> None:
    """``call`` on every item, at most ``concurrency`` at a time, in order: a few workers
    draining one queue cost far less than a task per item when thousands are due at once."""
    pending = iter(items)

    async def drain() -> None:
        for item in pending:
            await call(item)

    await asyncio.gather(*(drain() for _ in range(min(concurrency, len(items)))))


def _mids(quotes: Mapping[str, Quote], quote: str, assets: Sequence[str]) -> dict[str, Decimal]:
    found = {asset: quotes.get(symbol_for(asset, quote)) for asset in assets}
    return {asset: row.mid for asset, row in found.items() if row is not None}
