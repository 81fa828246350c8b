"""One simulator for every policy: the same market, the same matching engine, the same fees.

Time is the backtest's own. The simulator wakes the policy whenever it asks (its checks, its
queued legs' retries), and between wakes it samples the account on a fixed grid (hourly by
default) at the market model's mids: the series every metric is computed from. A cycle may
move the clock on (a passive order waits for its fill); the clock never goes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from rebalancer.backtest.desk import Desk
from rebalancer.backtest.markets import MarketSpec
from rebalancer.paper.orders import Fill

Progress = Callable[[int], None]


class Policy(Protocol):
    """A policy as the simulator drives it: when it wants to run, and one run at the clock."""

    name: str

    def next_wake(self) -> datetime: ...

    def run(self, desk: Desk) -> None: ...


@dataclass(frozen=True)
class FillCost:
    """One fill and what it cost against the mid of its decision, in quote currency."""

    at: datetime
    order_id: int
    asset: str
    side: str
    quantity: Decimal
    price: Decimal
    decision_mid: Decimal
    fee: Decimal
    liquidity: str

    @classmethod
    def of(cls, fill: Fill, decision_mid: Decimal, quote: str) -> FillCost:
        """``fill``, in ``quote``, against the mid its order was decided at."""
        return cls(
            at=fill.executed_at,
            order_id=fill.order_id,
            asset=fill.symbol.partition("/")[0],
            side=fill.side,
            quantity=fill.quantity,
            price=fill.price,
            decision_mid=decision_mid,
            # Binance takes a buy's fee in the base asset it delivers: valued at the fill price.
            fee=fill.fee if fill.fee_asset == quote else fill.fee * fill.price,
            liquidity=fill.liquidity,
        )

    @property
    def notional(self) -> Decimal:
        return self.price * self.quantity

    @property
    def slippage(self) -> Decimal:
        """What the fill paid beyond the decision mid (negative when it did better)."""
        difference = self.price - self.decision_mid
        return (difference if self.side == "buy" else -difference) * self.quantity

    @property
    def cost(self) -> Decimal:
        return self.fee + self.slippage


@dataclass
class Samples:
    """The account on the sampling grid: mids of the non-quote assets and total holdings."""

    quote: str
    assets: list[str]
    times: list[datetime] = field(default_factory=list)
    mids: list[tuple[Decimal, ...]] = field(default_factory=list)
    holdings: list[tuple[Decimal, ...]] = field(default_factory=list)

    def record(
        self, at: datetime, mids: tuple[Decimal, ...], holdings: tuple[Decimal, ...]
    ) -> None:
        self.times.append(at)
        self.mids.append(mids)
        self.holdings.append(holdings)


@dataclass
class Run:
    policy: str
    market: MarketSpec
    targets: dict[str, Decimal]
    samples: Samples
    fills: list[FillCost]
    orders_placed: int
    rejected: dict[str, int]
    # Policy-specific counters (how often ``decide`` ran, checks, ...).
    counters: dict[str, int]


def simulate(
    market: MarketSpec,
    make_policy: Callable[[datetime], Policy],
    targets: dict[str, Decimal],
    quote: str,
    equity: Decimal,
    *,
    sample_every: timedelta = timedelta(hours=1),
    progress: Progress | None = None,
) -> Run:
    start, end = market.start, market.end
    assets = sorted(a for a in targets if a != quote)
    desk = Desk(market.venue(), quote, assets, start)
    desk.fund(equity, targets)
    policy = make_policy(start)
    samples = Samples(quote, assets)
    moment = start
    while moment <= end:
        while (wake := policy.next_wake()) < moment:
            desk.advance(wake)
            policy.run(desk)
            if policy.next_wake() <= wake:
                raise RuntimeError(f"{policy.name} did not move its next wake past {wake}")
        desk.advance(moment)
        totals = desk.totals()
        samples.record(
            moment,
            tuple(desk.mid(a) for a in assets),
            tuple(totals[a] for a in [*assets, quote]),
        )
        if (
            progress is not None
            and moment > start
            and (moment - start) % timedelta(days=1) == timedelta(0)
        ):
            progress(1)
        moment += sample_every
    return Run(
        policy=policy.name,
        market=market,
        targets=dict(targets),
        samples=samples,
        fills=_fill_costs(desk),
        orders_placed=len(desk.placed),
        rejected=dict(desk.rejected),
        counters=_counters(policy),
    )


def _fill_costs(desk: Desk) -> list[FillCost]:
    costs = [
        FillCost.of(fill, placed.decision_mid, desk.quote)
        for placed in desk.placed
        for fill in placed.order.fills
    ]
    return sorted(costs, key=lambda c: (c.at, c.order_id))


def _counters(policy: Policy) -> dict[str, int]:
    names = ("checks", "cycle", "decisions", "inside_band")
    return {n: value for n in names if isinstance(value := getattr(policy, n, None), int)}
