"""detect-drift: balances and books from the venue -> the snapshot the cycle decides on.

Every asset the account holds is counted: one without a target is valued (and the cycle
sells it toward 0); one the venue lists no market for against the quote is reported as
unpriced. The books fetched here also serve the policy's cost gate, so one hop gathers
everything the decision needs; the cycle then decides without I/O.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from temporalio import activity

from activities.deps import Step
from rebalancer.cycle.port import Observation
from rebalancer.domain.decide import books_to_carry
from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.market import OrderBook, Quote, symbol_for
from rebalancer.domain.snapshot import Position, Snapshot
from rebalancer.ledger.records import CycleStart
from rebalancer.pipeline.messages import DetectRequest
from rebalancer.runtime import telemetry
from rebalancer.venue.binance_weights import book_limit
from rebalancer.venue.errors import VenueUnavailable

# Detection values positions and gates trades on books up to this old, shared by every
# account of the venue in this worker. Orders are always priced on a fresh book
# (assess-liquidity reads with no cache).
BOOK_MAX_AGE_SECONDS = 1.0


class DetectDrift(Step):
    @activity.defn(name="detect_drift")
    async def run(self, request: DetectRequest) -> Observation:
        started_at = datetime.now(UTC)
        look = request.look
        gateway = await self.deps.gateway(request.account)
        markets = await gateway.markets()
        for asset in sorted(look.targets):
            symbol = symbol_for(asset, look.quote)
            if asset != look.quote and symbol not in markets:
                raise InvalidInput(f"targets.{asset}", f"{request.account.venue} has no {symbol}")
        limit = book_limit(look.policy.depth_levels)

        async def books(assets: list[str]) -> dict[str, OrderBook]:
            symbols = [symbol_for(a, look.quote) for a in assets]
            fetched = await asyncio.gather(
                *(gateway.order_book(s, limit, max_age=BOOK_MAX_AGE_SECONDS) for s in symbols)
            )
            return dict(zip(symbols, fetched, strict=True))

        # The targets' books and the balances at once (one round trip, not two); a held asset
        # without a target is rare, and only then costs a second look for its book.
        targeted = sorted(a for a in look.targets if a != look.quote)
        balances_task = asyncio.ensure_future(gateway.balances())
        book_by_symbol = await books(targeted)
        balances = await balances_task
        held = {a for a, b in balances.items() if b.total > 0}
        unpriced = sorted(
            a
            for a in held - set(look.targets)
            if a != look.quote and symbol_for(a, look.quote) not in markets
        )
        untargeted = sorted(held - set(look.targets) - set(unpriced) - {look.quote})
        if untargeted:
            book_by_symbol |= await books(untargeted)
        assets = sorted([*targeted, *untargeted])
        observed_at = datetime.now(UTC)
        known = set(assets) | {look.quote}
        snapshot = Snapshot(
            quote=look.quote,
            positions=tuple(
                Position(asset=a, quantity=balances[a].total, free=balances[a].free)
                for a in sorted(known)
                if a in balances
            ),
            prices={
                symbol_for(a, look.quote): _quote(
                    book_by_symbol[symbol_for(a, look.quote)], look.last_mids.get(a)
                )
                for a in assets
            },
            targets=dict(look.targets),
            markets={s: markets[s] for s in book_by_symbol},
            policy=look.policy,
        )
        # The decision reads the books of legs past the band (or instructed) only: carry just
        # those, so a check that trades nothing moves no order books through Temporal.
        needed, report = books_to_carry(
            snapshot, look.instructed, look.volatility, look.correlation
        )
        carried = {symbol_for(a, look.quote) for a in needed}
        snapshot = snapshot.model_copy(
            update={"books": {s: b for s, b in book_by_symbol.items() if s in carried}}
        )
        telemetry.drift(
            request.account.account_id,
            {row.asset: row.drift for row in report.assets},
            look.policy.band,
        )
        await self.deps.ledger.start_cycle(
            CycleStart(
                account_id=request.account.account_id,
                cycle=request.cycle,
                trigger=request.trigger,
                started_at=observed_at,
                drift_snapshot=report.model_dump(mode="json"),
            )
        )
        return Observation(
            snapshot=snapshot,
            observed_at=observed_at,
            started_at=started_at,
            unpriced=tuple(unpriced),
        )


def _quote(book: OrderBook, last_mid: Decimal | None) -> Quote:
    """Bid and ask when the book has both. A one-sided or empty book still values the
    position (at its one side, else the last mid seen) so the other legs go on; ``decide``
    holds this leg, since a book without two sides cannot price a trade."""
    if book.best_bid is not None and book.best_ask is not None:
        return book.quote()
    side = book.best_bid if book.best_bid is not None else book.best_ask
    if side is not None:
        return Quote(last=side)
    if last_mid is not None:
        return Quote(last=last_mid)
    # Nothing to value it at yet: a moment's gap in a thin market; retry the look.
    raise VenueUnavailable("empty order book and no earlier price to value the position")
