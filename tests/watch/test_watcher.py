"""The watcher reads regions from the ledger, screens at one feed's prices, wakes each
account once per decision, forgets accounts that are gone, and refreshes balances within
its request budget."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rebalancer.domain.market import Quote
from rebalancer.domain.no_trade import NoTradeRegion
from rebalancer.ledger.records import WatchedAccount
from rebalancer.pipeline.messages import WakeRequest, WatchVenueRequest
from rebalancer.watch.clock import ManualClock
from rebalancer.watch.watcher import VenueWatcher

D = Decimal
T0 = datetime(2026, 1, 1, tzinfo=UTC)
REGION = NoTradeRegion(
    quote="USDT",
    targets={"BTC": D("0.5"), "USDT": D("0.5")},
    bands={"BTC": D("0.02")},
    sizing="band_edge",
)


class Sources:
    def __init__(self) -> None:
        self.rows: list[WatchedAccount] = []
        self.btc = D(100)
        self.venue_balances: dict[str, dict[str, Decimal]] = {}
        self.woken: list[tuple[str, WakeRequest]] = []
        self.gone: set[str] = set()
        self.balance_reads: list[str] = []
        self.feed_down = False
        self.revoked: set[str] = set()
        self.feed_readers: list[str] = []
        self.reads_after: list[datetime | None] = []

    def add(self, account: str, at: datetime, btc: str = "1", cash: str = "100") -> None:
        self.rows.append(
            WatchedAccount(
                account_id=account,
                region=REGION,
                holdings={"BTC": D(btc), "USDT": D(cash)},
                holdings_at=at,
                updated_at=at,
            )
        )

    async def watched(self, changed_after: datetime | None) -> list[WatchedAccount]:
        self.reads_after.append(changed_after)
        return [r for r in self.rows if changed_after is None or r.updated_at > changed_after]

    async def quotes(self, account_id: str, symbols: Sequence[str]) -> dict[str, Quote]:
        self.feed_readers.append(account_id)
        if self.feed_down:
            raise ConnectionError("venue unreachable")
        if account_id in self.revoked:
            raise PermissionError("invalid API key")
        assert symbols == ["BTC/USDT"]
        return {"BTC/USDT": Quote(bid=self.btc - D("0.01"), ask=self.btc + D("0.01"))}

    async def balances(self, account_id: str) -> dict[str, Decimal]:
        self.balance_reads.append(account_id)
        return self.venue_balances.get(account_id, {"BTC": D(1), "USDT": D(100)})

    async def wake(self, account_id: str, request: WakeRequest) -> bool:
        if account_id in self.gone:
            return False
        self.woken.append((account_id, request))
        return True


@pytest.fixture
def sources() -> Sources:
    """A fleet of one account, "a", on target since T0."""
    sources = Sources()
    sources.add("a", T0)
    return sources


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


def watcher(sources: Sources, clock: ManualClock, **settings: float) -> VenueWatcher:
    return VenueWatcher(
        sources,
        WatchVenueRequest.model_validate(
            {"venue": "paper", "refresh_weight_per_minute": 0.0, **settings}
        ),
        clock=clock,
        now=clock.now,
    )


async def test_an_account_is_woken_once_per_decision(sources: Sources, clock: ManualClock) -> None:
    sources.add("b", T0)
    watch = watcher(sources, clock, rewake_seconds=60)
    assert await watch.tick() == []
    sources.btc = D(110)
    clock.seconds = 1
    assert sorted(await watch.tick()) == ["a", "b"]
    assert sources.woken[0][1].seen_at == T0 + timedelta(seconds=1)
    clock.seconds = 30
    assert await watch.tick() == []
    # "a" cycles but stays outside (say its leg is held): its new region lets it be woken.
    sources.add("a", T0 + timedelta(seconds=31))
    clock.seconds = 32
    assert await watch.tick() == ["a"]
    clock.seconds = 61
    assert await watch.tick() == ["b"]


async def test_the_ledger_is_read_again_with_an_overlap_and_applied_once(
    sources: Sources, clock: ManualClock
) -> None:
    watch = watcher(sources, clock)
    await watch.tick()
    await watch.tick()
    assert sources.reads_after == [None, T0 - timedelta(seconds=30)]
    assert watch.accounts() == 1


async def test_an_account_whose_workflow_is_gone_leaves_the_fleet(
    sources: Sources, clock: ManualClock
) -> None:
    sources.gone.add("a")
    sources.btc = D(150)
    watch = watcher(sources, clock)
    assert await watch.tick() == ["a"]
    assert watch.accounts() == 0
    assert sources.woken == []


async def test_a_feed_outage_wakes_nobody_and_is_counted(
    sources: Sources, clock: ManualClock
) -> None:
    sources.btc = D(150)
    sources.feed_down = True
    watch = watcher(sources, clock)
    assert await watch.tick() == []
    assert watch.progress.feed_failures == 1
    sources.feed_down = False
    assert await watch.tick() == ["a"]


async def test_balances_are_refreshed_round_robin_within_the_weight_budget(
    sources: Sources, clock: ManualClock
) -> None:
    for name in "bcde":
        sources.add(name, T0)
    # 120 weight a minute at 20 an account: one read every ten seconds.
    watch = watcher(sources, clock, refresh_weight_per_minute=120)
    for second in range(0, 61):
        clock.seconds = second
        await watch.tick()
    assert sources.balance_reads == ["a", "b", "c", "d", "e", "a"]


async def test_funds_moved_outside_the_system_wake_the_account_once_read(
    sources: Sources, clock: ManualClock
) -> None:
    # A deposit of 100 USDT: BTC falls to a third of the account, past its band.
    sources.venue_balances["a"] = {"BTC": D(1), "USDT": D(200)}
    watch = watcher(sources, clock, refresh_weight_per_minute=1200)
    clock.seconds = 0
    assert await watch.tick() == []
    clock.seconds = 1
    await watch.tick()
    assert sources.balance_reads == ["a"]
    clock.seconds = 2
    assert await watch.tick() == ["a"]


async def test_one_accounts_revoked_key_does_not_blind_the_watch(
    sources: Sources, clock: ManualClock
) -> None:
    sources.add("b", T0)
    sources.revoked.add("a")
    sources.btc = D(150)
    watch = watcher(sources, clock)
    assert await watch.tick() == []
    assert sorted(await watch.tick()) == ["a", "b"]
    assert sources.feed_readers == ["a", "b"]
