"""The fleet watcher at scale, in process: N accounts screened every tick at moving prices.

    python benchmarks/watch_screen.py [--accounts 100000] [--ticks 600] [--json]

The watcher itself (``rebalancer.watch``), with its ledger, venue and Temporal replaced by
in-memory sources: what one venue's watch costs the worker per account, apart from the
accounts' own cycles (benchmarks/fleet.py measures those end to end). Accounts hold three
assets and cash on one of four target mixes, each at a band from 0.5% to 4% and legs sized
to the band edge or jointly, all starting on target. Each tick the prices take a
step of a random walk at 80% annualised volatility (seeded), ``--market-seconds`` of market
time per tick (60 by default: a ten-minute run covers ten hours of drift, so accounts leave
their regions and are woken).

Reports: memory per account (RSS growth while loading), the CPU time of a tick (ledger
read, feed, screen, wakes, balance refresh), CPU per account per day at one tick a second,
the request weight the venue sees per account per hour, the wakes, and how long after the
tick's prices were read each wake was sent (the watcher's share of drift-to-cycle-start).
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil

from benchmarks.harness import console, percentile, run_cli
from rebalancer.domain.market import Quote
from rebalancer.domain.no_trade import NoTradeRegion
from rebalancer.ledger.records import WatchedAccount
from rebalancer.pipeline.messages import WakeRequest, WatchVenueRequest
from rebalancer.venue import binance_weights as weights
from rebalancer.watch.clock import ManualClock
from rebalancer.watch.watcher import VenueWatcher

MIXES = [
    {"BTC": "0.4", "ETH": "0.3", "LINK": "0.1", "USDT": "0.2"},
    {"BTC": "0.5", "ETH": "0.2", "LINK": "0.05", "USDT": "0.25"},
    {"BTC": "0.25", "ETH": "0.25", "LINK": "0.25", "USDT": "0.25"},
    {"BTC": "0.6", "ETH": "0.1", "LINK": "0.1", "USDT": "0.2"},
]
BANDS = ["0.005", "0.01", "0.0272", "0.04"]
START = {"BTC": Decimal("60000"), "ETH": Decimal("3000"), "LINK": Decimal("15")}
VOLATILITY = 0.8
SECONDS_PER_YEAR = 365 * 86_400
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Sources:
    def __init__(self, rows: list[WatchedAccount], seed: int, market_seconds: float) -> None:
        self.market_seconds = market_seconds
        self.rows = rows
        self.prices = dict(START)
        self.random = random.Random(seed)
        self.weight = 0
        self.woken: list[tuple[str, float]] = []
        self.feed_read_at = 0.0
        self.holdings = {row.account_id: row.holdings for row in rows}

    async def watched(self, changed_after: datetime | None) -> list[WatchedAccount]:
        rows, self.rows = self.rows, []
        return rows

    async def quotes(self, account_id: str, symbols: Sequence[str]) -> dict[str, Quote]:
        self.weight += weights.BOOK_TICKER_ALL
        self.feed_read_at = time.perf_counter()
        step = VOLATILITY * math.sqrt(self.market_seconds / SECONDS_PER_YEAR)
        quotes: dict[str, Quote] = {}
        for asset, price in self.prices.items():
            moved = price * Decimal(math.exp(self.random.gauss(0.0, step))).quantize(
                Decimal("1e-12")
            )
            self.prices[asset] = moved.quantize(Decimal("0.0001"))
            tick = Decimal("0.0001")
            quotes[f"{asset}/USDT"] = Quote(bid=self.prices[asset] - tick, ask=self.prices[asset])
        return quotes

    async def balances(self, account_id: str) -> dict[str, Decimal]:
        self.weight += weights.ACCOUNT
        return dict(self.holdings[account_id])

    async def wake(self, account_id: str, request: WakeRequest) -> bool:
        self.woken.append((account_id, time.perf_counter() - self.feed_read_at))
        return True


def fleet(count: int, seed: int) -> list[WatchedAccount]:
    """``count`` accounts on target at the starting prices, 100,000 USDT each."""
    draw = random.Random(seed)
    rows: list[WatchedAccount] = []
    for index in range(count):
        mix = {a: Decimal(w) for a, w in MIXES[index % len(MIXES)].items()}
        band = Decimal(draw.choice(BANDS))
        equity = Decimal(100_000)
        holdings = {
            a: (equity * w / START[a]).quantize(Decimal("1e-8"))
            for a, w in mix.items()
            if a != "USDT"
        }
        holdings["USDT"] = equity * mix["USDT"]
        rows.append(
            WatchedAccount(
                account_id=f"acct-{index:06d}",
                region=NoTradeRegion(
                    quote="USDT",
                    targets=mix,
                    bands={a: band for a in mix if a != "USDT"},
                    sizing="joint" if index % 3 == 0 else "band_edge",
                ),
                holdings=holdings,
                holdings_at=T0,
                updated_at=T0,
            )
        )
    return rows


async def run(args: argparse.Namespace) -> dict[str, Any]:
    process = psutil.Process()
    console.print(f"building {args.accounts:,} accounts ...")
    rows = fleet(args.accounts, args.seed)
    sources = Sources(rows, args.seed, args.market_seconds)
    clock = ManualClock(T0)
    settings = WatchVenueRequest(venue="paper", refresh_weight_per_minute=args.refresh_weight)
    watcher = VenueWatcher(sources, settings, clock=clock, now=clock.now)
    gc.collect()
    before = process.memory_info().rss
    started = time.process_time()
    await watcher.load()
    load_cpu = time.process_time() - started
    del rows
    sources.holdings = {}
    gc.collect()
    rss_per_account = (process.memory_info().rss - before) / args.accounts
    console.print(f"loaded in {load_cpu:.2f} s CPU; ticking {args.ticks} times ...")
    # The refresh reads holdings back from what the fleet was given.
    sources.holdings = {row.account_id: row.holdings for row in fleet(args.accounts, args.seed)}
    tick_cpu: list[float] = []
    screen_cpu: list[float] = []
    for second in range(args.ticks):
        clock.seconds = float(second)
        started = time.process_time()
        await watcher.tick()
        tick_cpu.append(time.process_time() - started)
        screen_cpu.append(watcher.progress.screen_seconds)
    per_tick = sum(tick_cpu) / len(tick_cpu)
    pace = watcher.pace
    seconds = args.ticks * pace.tick_seconds
    weight_per_hour = sources.weight * 3600 / seconds
    delays = [delay * 1000 for _, delay in sources.woken]
    refresh_round_minutes = (
        args.accounts * pace.balance_weight / max(pace.refresh_weight_per_minute, 1e-9)
    )
    return {
        "accounts": args.accounts,
        "ticks": args.ticks,
        "tick_seconds": pace.tick_seconds,
        "market_seconds_per_tick": args.market_seconds,
        "rss_per_account_bytes": round(rss_per_account),
        "watcher_rss_mib": round(rss_per_account * args.accounts / 2**20, 1),
        "load_cpu_seconds": round(load_cpu, 2),
        "tick_cpu_ms_p50": round(percentile([t * 1000 for t in tick_cpu], 50), 2),
        "tick_cpu_ms_p99": round(percentile([t * 1000 for t in tick_cpu], 99), 2),
        "screen_cpu_ms_p50": round(percentile([t * 1000 for t in screen_cpu], 50), 2),
        "cpu_ms_per_account_per_day": round(
            per_tick * 1000 * 86_400 / pace.tick_seconds / args.accounts, 3
        ),
        "cpu_share_of_one_core": round(per_tick / pace.tick_seconds, 3),
        "venue_weight_per_hour": round(weight_per_hour),
        "venue_weight_per_account_per_hour": round(weight_per_hour / args.accounts, 4),
        "venue_budget_share": round(weight_per_hour / 60 / pace.venue_weight_per_minute, 3),
        "balance_refresh_round_minutes": round(refresh_round_minutes, 1),
        "wakes": len(sources.woken),
        "accounts_woken": len({account for account, _ in sources.woken}),
        "wake_after_feed_ms_p50": round(percentile(delays, 50), 2) if delays else None,
        "wake_after_feed_ms_p99": round(percentile(delays, 99), 2) if delays else None,
    }


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--ticks", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--market-seconds", type=float, default=60.0, help="market time a tick")
    parser.add_argument(
        "--refresh-weight",
        type=float,
        default=None,
        help="request weight a minute for balance refreshes (default: the venue profile's)",
    )


def main() -> None:
    run_cli(__doc__, options, run)


if __name__ == "__main__":
    main()
