"""Market data as the domain sees it: quotes, L2 books and an instrument's trading rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rebalancer.domain.numbers import (
    ZERO,
    BoundedNonNegDec,
    BoundedPosDec,
    Dec,
    div,
    exact,
)

Side = Literal["buy", "sell"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Quote(Frozen):
    """Best bid/ask, or only a last price when no book side is known."""

    bid: BoundedPosDec | None = None
    ask: BoundedPosDec | None = None
    last: BoundedPosDec | None = None

    @model_validator(mode="after")
    def _has_a_price(self) -> Quote:
        if self.bid is None and self.ask is None and self.last is None:
            raise ValueError("needs bid/ask or last")
        if (self.bid is None) != (self.ask is None):
            raise ValueError("bid and ask come together")
        if self.bid is not None and self.ask is not None and self.bid > self.ask:
            raise ValueError("bid must not exceed ask (crossed quote)")
        return self

    @property
    @exact
    def mid(self) -> Decimal:
        if self.bid is not None and self.ask is not None:
            return div(self.bid + self.ask, Decimal(2))
        assert self.last is not None
        return self.last


class BookLevel(Frozen):
    price: BoundedPosDec
    quantity: BoundedPosDec

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, data: Any) -> Any:
        # Venues and snapshot files write a level as [price, quantity].
        if isinstance(data, list | tuple):
            if len(data) != 2:
                raise ValueError("a book level is [price, quantity]")
            return {"price": data[0], "quantity": data[1]}
        return data


class OrderBook(Frozen):
    """An L2 snapshot: bids best (highest) first, asks best (lowest) first."""

    bids: tuple[BookLevel, ...] = ()
    asks: tuple[BookLevel, ...] = ()

    @model_validator(mode="after")
    def _sorted_and_uncrossed(self) -> OrderBook:
        for name, levels, descending in (("bids", self.bids, True), ("asks", self.asks, False)):
            prices = [level.price for level in levels]
            ordered = sorted(prices, reverse=descending)
            if prices != ordered or len(set(prices)) != len(prices):
                best = "highest" if descending else "lowest"
                raise ValueError(f"{name} must be unique prices sorted {best} first")
        if self.bids and self.asks and self.bids[0].price >= self.asks[0].price:
            raise ValueError("best bid must be below best ask (crossed book)")
        return self

    @classmethod
    def from_pairs(
        cls, bids: list[tuple[Decimal, Decimal]], asks: list[tuple[Decimal, Decimal]]
    ) -> OrderBook:
        return cls(
            bids=tuple(BookLevel(price=p, quantity=q) for p, q in bids),
            asks=tuple(BookLevel(price=p, quantity=q) for p, q in asks),
        )

    @classmethod
    def trusted(
        cls, bids: list[tuple[Decimal, Decimal]], asks: list[tuple[Decimal, Decimal]]
    ) -> OrderBook:
        """A book an in-process engine built: sorted, uncrossed, positive by construction.
        Skips validation, which dominated a backtest's profile; never for outside input."""
        level = BookLevel.model_construct
        return cls.model_construct(
            bids=tuple(level(price=p, quantity=q) for p, q in bids),
            asks=tuple(level(price=p, quantity=q) for p, q in asks),
        )

    @property
    def best_bid(self) -> Decimal | None:
        return self.bids[0].price if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return self.asks[0].price if self.asks else None

    @property
    @exact
    def mid(self) -> Decimal | None:
        if not self.bids or not self.asks:
            return None
        return div(self.bids[0].price + self.asks[0].price, Decimal(2))

    def quote(self) -> Quote:
        if self.best_bid is None or self.best_ask is None:
            raise ValueError("a one-sided book has no quote")
        return Quote(bid=self.best_bid, ask=self.best_ask)

    def side_taken_by(self, side: Side) -> tuple[BookLevel, ...]:
        """The levels an order of ``side`` consumes: a buy lifts asks, a sell hits bids."""
        return self.asks if side == "buy" else self.bids

    @exact
    def depth(self, side: Side, levels: int) -> Decimal:
        """Base quantity on the side ``side`` consumes, over the best ``levels`` levels."""
        return sum((lvl.quantity for lvl in self.side_taken_by(side)[:levels]), ZERO)


class MarketRules(Frozen):
    """An instrument's exchange filters and fees, as the venue declares them."""

    symbol: str
    base: str
    quote: str
    tick_size: BoundedPosDec
    step_size: BoundedPosDec
    min_qty: BoundedNonNegDec = ZERO
    min_notional: BoundedNonNegDec = ZERO
    maker_fee: Dec = Field(default=Decimal("0.001"), ge=-1, le=1)
    taker_fee: Dec = Field(default=Decimal("0.001"), ge=-1, le=1)

    @model_validator(mode="after")
    def _symbol_matches(self) -> MarketRules:
        expected = symbol_for(self.base, self.quote)
        if self.symbol != expected:
            raise ValueError(f"symbol must be '{expected}' for base/quote")
        return self


def symbol_for(base: str, quote: str) -> str:
    return f"{base}/{quote}"
