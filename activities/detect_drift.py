"""detect-drift: balances and books from the venue -> snapshot -> weights, drift, velocity.

The books fetched here also serve the policy's cost gate, so one activity hop gathers
everything the decision needs; the workflow then decides without I/O.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from activities.deps import Deps
from rebalancer import telemetry
from rebalancer.domain.decide import assets_needing_books
from rebalancer.domain.drift import compute_drift
from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.market import OrderBook, Quote
from rebalancer.domain.snapshot import Position, Snapshot
from rebalancer.ledger.records import CycleStart
from rebalancer.pipeline.messages import DetectRequest, DetectResult
from rebalancer.venue.binance_weights import book_limit
from rebalancer.venue.errors import VenueUnavailable

# Detection values positions and gates trades on books up to this old, shared by every
# account of the venue in this worker. Orders are always priced on a fresh book
# (assess-liquidity reads with no cache).
BOOK_MAX_AGE_SECONDS = 1.0


async def detect_drift(deps: Deps, request: DetectRequest) -> DetectResult:
    started_at = datetime.now(UTC)
    gateway = await deps.gateway(request.account)
    markets = await gateway.markets()
    assets = [a for a in sorted(request.targets) if a != request.quote]
    symbols = [f"{a}/{request.quote}" for a in assets]
    for asset, symbol in zip(assets, symbols, strict=True):
        if symbol not in markets:
            raise InvalidInput(f"targets.{asset}", f"{request.account.venue} has no {symbol}")
    limit = book_limit(request.policy.depth_levels)
    balances_task = asyncio.ensure_future(gateway.balances())
    books = await asyncio.gather(
        *(gateway.order_book(s, limit, max_age=BOOK_MAX_AGE_SECONDS) for s in symbols)
    )
    balances = await balances_task
    observed_at = datetime.now(UTC)
    book_by_symbol: dict[str, OrderBook] = dict(zip(symbols, books, strict=True))
    snapshot = Snapshot(
        quote=request.quote,
        positions=tuple(
            Position(asset=asset, quantity=balances[asset].total, free=balances[asset].free)
            for asset in sorted(request.targets)
            if asset in balances
        ),
        prices={s: _quote(book) for s, book in book_by_symbol.items()},
        targets=dict(request.targets),
        books=book_by_symbol,
        markets={s: markets[s] for s in symbols},
        history=dict(request.history),
        volatility=dict(request.volatility),
        policy=request.policy,
    )
    report = compute_drift(snapshot)
    # The workflow's decision reads the books of legs past the band only: carry just those,
    # so a check that trades nothing moves no order books through Temporal.
    needed = {
        f"{a}/{request.quote}" for a in assets_needing_books(report, request.policy, request.quote)
    }
    snapshot = snapshot.model_copy(
        update={"books": {s: b for s, b in book_by_symbol.items() if s in needed}}
    )
    telemetry.drift(request.account.account_id, {row.asset: row.drift for row in report.assets})
    await deps.ledger.start_cycle(
        CycleStart(
            account_id=request.account.account_id,
            cycle=request.cycle,
            trigger=request.trigger,
            started_at=observed_at,
            drift_snapshot=report.model_dump(mode="json"),
        )
    )
    return DetectResult(
        snapshot=snapshot, report=report, started_at=started_at, observed_at=observed_at
    )


def _quote(book: OrderBook) -> Quote:
    if book.best_bid is None or book.best_ask is None:
        # Usually a moment's gap in a thin market: retry rather than fail the cycle.
        raise VenueUnavailable("one-sided order book: no price to value the position")
    return book.quote()
