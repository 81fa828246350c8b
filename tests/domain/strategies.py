"""Hypothesis strategies for exact decimals and books; builders of market rules and orders."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st

from rebalancer.domain.market import BookLevel, MarketRules, OrderBook, Side
from rebalancer.domain.orders import PlannedOrder
from rebalancer.domain.policy_settings import ExecutionStyle

# Pure and fast: a fixed, modest budget keeps tests/domain well under 30 s, and no deadline
# because a timing is not a property.
PROPERTY = settings(max_examples=150, deadline=None)


def on_grid(low: int, high: int, places: int) -> st.SearchStrategy[Decimal]:
    """Decimals ``n * 10**-places`` for integer ``n`` in [low, high]: exact by construction."""
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-places))


@st.composite
def books(draw: st.DrawFn, max_levels: int = 8) -> OrderBook:
    """Two-sided books on a 0.01 price grid, strictly ordered, uncrossed."""
    # High enough that the mirror image of the deepest ask is still a positive bid.
    bid = draw(st.integers(10_000, 10_000_000))
    ask = bid + draw(st.integers(1, 500))
    bids: list[BookLevel] = []
    asks: list[BookLevel] = []
    for side, start, sign in ((bids, bid, -1), (asks, ask, 1)):
        price = start
        for i in range(draw(st.integers(1, max_levels))):
            if i:
                price += sign * draw(st.integers(1, 300))
            if price <= 0:
                break
            quantity = draw(on_grid(1, 10_000_000, 4))
            side.append(BookLevel(price=Decimal(price).scaleb(-2), quantity=quantity))
    return OrderBook(bids=tuple(bids), asks=tuple(asks))


def mirrored(book: OrderBook) -> OrderBook:
    """The book reflected about its mid: bids become asks at the same distance, and back."""
    mid = book.mid
    assert mid is not None
    reflect = [BookLevel(price=2 * mid - lvl.price, quantity=lvl.quantity) for lvl in book.asks]
    reflect_asks = [
        BookLevel(price=2 * mid - lvl.price, quantity=lvl.quantity) for lvl in book.bids
    ]
    return OrderBook(bids=tuple(reflect), asks=tuple(reflect_asks))


def rules(
    fee: Decimal = Decimal("0.001"),
    tick: Decimal = Decimal("0.01"),
    step: Decimal = Decimal("0.0001"),
    min_notional: Decimal = Decimal("0"),
    min_qty: Decimal = Decimal("0"),
) -> MarketRules:
    return MarketRules(
        symbol="X/USDT",
        base="X",
        quote="USDT",
        tick_size=tick,
        step_size=step,
        min_qty=min_qty,
        min_notional=min_notional,
        maker_fee=fee,
        taker_fee=fee,
    )


def planned_order(
    asset: str = "BTC",
    side: Side = "buy",
    amount: Decimal = Decimal(1),
    price: Decimal = Decimal(100),
    style: ExecutionStyle = "marketable",
) -> PlannedOrder:
    """An order on ``asset``/USDT."""
    return PlannedOrder(
        asset=asset,
        symbol=f"{asset}/USDT",
        side=side,
        amount=amount,
        price=price,
        style=style,
    )
