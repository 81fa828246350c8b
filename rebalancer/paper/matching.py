"""Price-time matching for one symbol: participants' orders against the background book.

The book a participant sees is the market model's background levels, less what trades
consumed (that liquidity comes back with a half-life), plus every participant's resting
orders. Rules:

- A crossing order walks the book level by level, best price first, and makes one taker
  trade per level, so an order larger than the top level fills partially across levels; a
  limit order stops at its price and rests with what is left.
- A resting order joins the back of the queue at its price: everything displayed there when
  it arrived is ahead of it. It fills only after trades have consumed that queue. Liquidity
  that leaves the level (the model shows less there) shortens the queue; liquidity that
  arrives later queues behind it.
- Background flow (everyone else's market orders) arrives as simulated time passes and
  trades against the touch, more of it on the side the price is moving toward (adverse
  selection: a resting order fills most readily when the price moves against it). If the
  mid moves through a resting order, the order fills at its own price, as the resting
  (maker) side.

Time is explicit: ``advance(now)`` moves the engine to exchange time ``now``; the market
model is read at ``market_time(now)`` (identity in a backtest, sped up in the server). With
no participant orders resting, advancing costs almost nothing.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from rebalancer.domain.market import OrderBook
from rebalancer.domain.numbers import floor_to_step
from rebalancer.paper.accounts import fee_for
from rebalancer.paper.market_model import MAX_WALK_LEVELS, BookSide, MarketModel, MarketState
from rebalancer.paper.orders import Fill, Liquidity, PaperOrder
from rebalancer.paper.price_paths import SECONDS_PER_YEAR
from rebalancer.paper.seeding import derive_seed

ZERO = Decimal(0)
# Distinct elapsed times whose decay factor is kept (they repeat with the step length).
_DECAY_CACHE = 4096
# Below this many digits of whole lots, integer division is exact in any decimal context.
_EXACT_UNITS = 20
MarketTime = Callable[[datetime], datetime]


def _identity(moment: datetime) -> datetime:
    return moment


def _better(side: BookSide, price: Decimal, other: Decimal) -> bool:
    """Whether ``price`` comes before ``other`` on ``side`` (higher bid, lower ask)."""
    return price > other if side == "bid" else price < other


class _RestingSide:
    """Participants' resting orders on one side, best price first, FIFO within a price."""

    def __init__(self, side: BookSide) -> None:
        self.side = side
        self._keys: list[Decimal] = []
        self._levels: dict[Decimal, list[PaperOrder]] = {}
        self.count = 0

    def _key(self, price: Decimal) -> Decimal:
        return -price if self.side == "bid" else price

    def __bool__(self) -> bool:
        return self.count > 0

    def prices(self) -> list[Decimal]:
        return [-k if self.side == "bid" else k for k in self._keys]

    def best(self) -> Decimal | None:
        if not self._keys:
            return None
        key = self._keys[0]
        return -key if self.side == "bid" else key

    def at(self, price: Decimal) -> list[PaperOrder]:
        return self._levels.get(price, [])

    def add(self, order: PaperOrder) -> None:
        assert order.price is not None
        level = self._levels.get(order.price)
        if level is None:
            level = self._levels[order.price] = []
            bisect.insort(self._keys, self._key(order.price))
        level.append(order)
        self.count += 1

    def remove(self, order: PaperOrder) -> None:
        assert order.price is not None
        level = self._levels.get(order.price)
        if level is None or order not in level:
            return
        level.remove(order)
        self.count -= 1
        if not level:
            del self._levels[order.price]
            index = bisect.bisect_left(self._keys, self._key(order.price))
            del self._keys[index]

    def orders(self) -> Iterator[PaperOrder]:
        for key in list(self._keys):
            yield from list(self._levels[-key if self.side == "bid" else key])


@dataclass
class _Depletion:
    amount: Decimal
    at: datetime


class MatchingEngine:
    def __init__(
        self,
        model: MarketModel,
        *,
        seed: int = 0,
        market_time: MarketTime | None = None,
        replenish_half_life: timedelta = timedelta(seconds=10),
        max_step: timedelta = timedelta(seconds=5),
        max_steps_per_advance: int = 10_000,
    ) -> None:
        self.model = model
        self.instrument = model.instrument
        self._market_time = market_time or _identity
        self._half_life = replenish_half_life.total_seconds()
        self._max_step = max_step
        self._max_steps = max_steps_per_advance
        self._rng = random.Random(derive_seed(seed, model.symbol, "flow"))
        self._step_float = float(model.instrument.step_size)
        self._reference_volatility = float(model.instrument.reference_volatility)
        self._flow_per_second = float(model.instrument.flow_notional_per_second)
        self._trade_ids = itertools.count(1)
        self._bids = _RestingSide("bid")
        self._asks = _RestingSide("ask")
        self._depletion: dict[BookSide, dict[Decimal, _Depletion]] = {"bid": {}, "ask": {}}
        # Depletion decays over whole steps, so the same few elapsed times recur.
        self._decay_factors: dict[float, Decimal] = {}
        self._now: datetime | None = None
        self._market_now: datetime | None = None
        self._version = 0
        self._book_cache: tuple[tuple[datetime, int, int], OrderBook] | None = None
        self.last_trade: Fill | None = None

    # ----------------------------------------------------------------- time

    @property
    def now(self) -> datetime | None:
        return self._now

    def market_time(self, now: datetime) -> datetime:
        return self._market_time(now)

    def state(self) -> MarketState:
        """The market at the engine's current time (advance first)."""
        if self._market_now is None:
            raise RuntimeError("advance(now) the engine before reading its state")
        return self.model.state(self._market_now)

    @property
    def resting(self) -> int:
        return self._bids.count + self._asks.count

    def resting_orders(self) -> list[PaperOrder]:
        return [*self._bids.orders(), *self._asks.orders()]

    def advance(self, now: datetime) -> list[Fill]:
        """Move to exchange time ``now``; return the fills that happened on the way."""
        market_now = self._market_time(now)
        if self._now is None or self._market_now is None:
            self._now, self._market_now = now, market_now
            return []
        if market_now <= self._market_now:
            self._now = max(self._now, now)
            return []
        fills: list[Fill] = []
        if self.resting:
            span = market_now - self._market_now
            steps = min(self._max_steps, max(1, math.ceil(span / self._max_step)))
            start, start_exchange = self._market_now, self._now
            previous = self.model.state(start).mid
            step = span / steps
            seconds = step.total_seconds()
            # Exchange time is market time unless the server maps one onto the other.
            same_clock = self._market_time is _identity
            # Whole microseconds a step: each moment is the last plus one step, exactly
            # ``start + span * index / steps`` without its rounding division.
            even = step * steps == span
            moment = start
            for index in range(1, steps + 1):
                moment = moment + step if even else start + span * index / steps
                exchange_time = (
                    moment
                    if same_clock
                    else start_exchange + (now - start_exchange) * index / steps
                )
                state = self.model.state(moment)
                if self._crossed(state):
                    fills += self._cross_resting(state, exchange_time)
                fills += self._background_flow(state, seconds, exchange_time, previous)
                previous = state.mid
                if not self.resting:
                    break
        self._now, self._market_now = now, market_now
        self._prune_depletion(market_now)
        return fills

    # ------------------------------------------------------------- orders

    def submit(self, order: PaperOrder) -> list[Fill]:
        """Match an accepted order at the engine's current time; rest what a GTC limit keeps.

        The caller has validated and funded the order and advanced the engine to now.
        """
        state = self.state()
        assert self._now is not None
        taking: BookSide = "ask" if order.side == "buy" else "bid"
        fills = self._sweep(state, taking, order.remaining, order.price, self._now, order)
        if order.remaining > 0:
            if order.type == "market" or order.time_in_force != "GTC":
                order.status = "expired"
                order.updated_at = self._now
            else:
                self._rest(state, order)
        self._version += 1
        return fills

    def cancel(self, order: PaperOrder) -> None:
        side = self._bids if order.side == "buy" else self._asks
        side.remove(order)
        order.status = "canceled"
        order.updated_at = self._now
        self._version += 1

    def preview(
        self,
        side_taken: BookSide,
        *,
        quantity: Decimal | None = None,
        quote: Decimal | None = None,
        limit: Decimal | None = None,
    ) -> list[tuple[Decimal, Decimal]]:
        """(price, quantity) a crossing order would take now, without taking it.

        Bounded by ``quantity`` (base) or ``quote`` (notional), and by the ``limit`` price.
        """
        state = self.state()
        walked: list[tuple[Decimal, Decimal]] = []
        want, budget = quantity, quote
        step = self.instrument.step_size
        for price, available in self._levels(state, side_taken, limit):
            take = available
            if want is not None:
                take = min(take, want)
            if budget is not None:
                take = min(take, floor_to_step(budget / price, step))
            if take <= 0:
                break
            walked.append((price, take))
            if want is not None:
                want -= take
                if want <= 0:
                    break
            if budget is not None:
                budget -= take * price
            if take < available:
                break
        return walked

    def would_take(self, side_taken: BookSide, limit: Decimal) -> bool:
        return bool(self.preview(side_taken, quantity=self.instrument.step_size, limit=limit))

    # --------------------------------------------------------------- book

    def book(self, depth: int = 20) -> OrderBook:
        """The displayed book: background less consumption, plus participants, ``depth`` a side."""
        if self._market_now is None:
            raise RuntimeError("advance(now) the engine before reading its book")
        key = (self._market_now, self._version, depth)
        if self._book_cache is not None and self._book_cache[0] == key:
            return self._book_cache[1]
        state = self.model.state(self._market_now)
        book = OrderBook.trusted(
            self._displayed(state, "bid", depth), self._displayed(state, "ask", depth)
        )
        self._book_cache = (key, book)
        return book

    def _displayed(
        self, state: MarketState, side: BookSide, depth: int
    ) -> list[tuple[Decimal, Decimal]]:
        """The first ``depth`` of ``_levels`` on ``side``; without participants there, the
        background's levels less depletion read directly (a book is read at every check)."""
        if self._bids if side == "bid" else self._asks:
            return list(itertools.islice(self._levels(state, side, None), depth))
        model = self.model
        entries = self._depletion[side]
        bid = side == "bid"
        level = state.bid_level if bid else state.ask_level
        shown: list[tuple[Decimal, Decimal]] = []
        for distance in range(MAX_WALK_LEVELS):
            if len(shown) >= depth or level <= 0:
                break
            price = model.level_price(level)
            size = model.size_at(state, level, distance)
            entry = entries.get(price)
            available = (
                size if entry is None else self._floor_left(size - self._decayed(entry, state.at))
            )
            # ``_levels`` adds the participants' (here none) to what the background shows.
            quantity = available + ZERO
            if quantity > 0:
                shown.append((price, quantity))
            level += -1 if bid else 1
        return shown

    def _merged(
        self, state: MarketState, side: BookSide, limit: Decimal | None
    ) -> Iterator[tuple[Decimal, Decimal, list[PaperOrder]]]:
        """(price, background available, participants' orders) on ``side``, best first,
        up to ``limit``. Participants' lists are live: a consumer may fill from them."""
        resting = self._bids if side == "bid" else self._asks
        prices = resting.prices()
        background = self.model.levels(state, side)
        bg = next(background, None)
        index = 0
        for _ in range(MAX_WALK_LEVELS + len(prices)):
            own = prices[index] if index < len(prices) else None
            if bg is None and own is None:
                return
            if own is None or (bg is not None and _better(side, bg[0], own)):
                assert bg is not None
                price = bg[0]
            else:
                price = own
            if limit is not None and _better(side, limit, price):
                return
            available = ZERO
            if bg is not None and bg[0] == price:
                available = self._available(side, price, bg[1], state.at)
                bg = next(background, None)
            orders: list[PaperOrder] = []
            if own == price:
                orders = resting.at(price)
                index += 1
            yield price, available, orders

    def _levels(
        self, state: MarketState, side: BookSide, limit: Decimal | None
    ) -> Iterator[tuple[Decimal, Decimal]]:
        """Merged (price, displayed quantity) on ``side``, best first, up to ``limit``."""
        for price, available, orders in self._merged(state, side, limit):
            quantity = available + sum((o.remaining for o in orders), ZERO)
            if quantity > 0:
                yield price, quantity

    # ----------------------------------------------------------- matching

    def _rest(self, state: MarketState, order: PaperOrder) -> None:
        assert order.price is not None
        side: BookSide = "bid" if order.side == "buy" else "ask"
        resting = self._bids if side == "bid" else self._asks
        background = self._available(
            side, order.price, self.model.level_quantity(state, side, order.price), state.at
        )
        ahead = sum((o.remaining for o in resting.at(order.price)), ZERO)
        order.queue_ahead = background + ahead
        resting.add(order)

    def _crossed(self, state: MarketState) -> bool:
        """Whether the mid moved through a resting order (what ``_cross_resting`` fills)."""
        bid, ask = self._bids.best(), self._asks.best()
        return (bid is not None and bid >= state.best_ask) or (
            ask is not None and ask <= state.best_bid
        )

    def _cross_resting(self, state: MarketState, when: datetime) -> list[Fill]:
        """Resting orders the mid moved through fill whole, at their own price, as makers."""
        fills: list[Fill] = []
        for resting in (self._bids, self._asks):
            while resting:
                best = resting.best()
                if best is None:
                    break
                if resting.side == "bid" and best < state.best_ask:
                    break
                if resting.side == "ask" and best > state.best_bid:
                    break
                for order in list(resting.at(best)):
                    fills.append(self._fill(order, best, order.remaining, "maker", when))
                    resting.remove(order)
        if fills:
            self._version += 1
        return fills

    def flow_rate(
        self, side: BookSide, state: MarketState, seconds: float, previous: Decimal
    ) -> float:
        """Expected notional of everyone else's market orders hitting ``side`` over a step
        of ``seconds`` in which the mid moved from ``previous`` to ``state.mid``.

        Flow is informed (adverse selection): sellers hit the bids harder while the price
        falls and buyers lift the asks harder while it rises, so a resting order is most
        likely to fill just when the price moves against it. The step's move, in standard
        deviations ``z``, tilts each side's rate by ``exp(+-k z - k^2 / 2)``: the same flow
        on average, more of it on the side the move favours.
        """
        volume, z = self._flow(state, seconds, previous)
        return self._tilted(volume, z, side)

    def _flow(self, state: MarketState, seconds: float, previous: Decimal) -> tuple[float, float]:
        """``flow_rate``'s two sides' common part: the untilted notional and the move's z."""
        stress = state.volatility / self._reference_volatility
        rate = self._flow_per_second * self.model.liquidity.flow
        rate *= max(0.5, min(3.0, stress))
        spread = state.volatility * math.sqrt(seconds / SECONDS_PER_YEAR)
        z = 0.0
        if previous > 0 and spread > 0:
            z = max(-4.0, min(4.0, math.log(float(state.mid) / float(previous)) / spread))
        return rate * seconds, z

    def _tilted(self, volume: float, z: float, side: BookSide) -> float:
        tilt = self.model.liquidity.adverse_selection
        direction = -z if side == "bid" else z
        return volume * math.exp(tilt * direction - tilt * tilt / 2)

    def _background_flow(
        self, state: MarketState, seconds: float, when: datetime, previous: Decimal
    ) -> list[Fill]:
        fills: list[Fill] = []
        inst = self.instrument
        flow: tuple[float, float] | None = None
        mid = float(state.mid)
        sides: tuple[tuple[BookSide, _RestingSide], ...] = (
            ("bid", self._bids),
            ("ask", self._asks),
        )
        for side, resting in sides:
            if not resting:
                continue
            if flow is None:
                flow = self._flow(state, seconds, previous)
            notional = self._tilted(*flow, side) * self._rng.expovariate(1.0)
            units = int(notional / mid / self._step_float)
            if units > 0:
                quantity = inst.step_size * units
                if not self._absorbed_by_background(state, side, resting, quantity):
                    fills += self._sweep(state, side, quantity, None, when, None)
        return fills

    def _absorbed_by_background(
        self, state: MarketState, side: BookSide, resting: _RestingSide, quantity: Decimal
    ) -> bool:
        """Flow that background levels ahead of every participant take whole: deplete them as
        ``_sweep`` would, and say so. Most of a resting order's steps are these (it waits
        behind the background), and the general walk costs several times more; anything
        else changes nothing here and is left to ``_sweep``."""
        own = resting.best()
        bid = side == "bid"
        # ``model.levels`` walked inline by level number: this loop runs at every step an
        # order rests, and a level's price is then one cached object (hashed once).
        level = state.bid_level if bid else state.ask_level
        outward = -1 if bid else 1
        model = self.model
        entries = self._depletion[side]
        at = state.at
        remaining = quantity
        takes: list[tuple[Decimal, Decimal, Decimal]] = []
        for distance in range(MAX_WALK_LEVELS):
            if level <= 0:
                return False
            price = model.level_price(level)
            if own is not None and (own >= price if bid else own <= price):
                return False
            size = model.size_at(state, level, distance)
            entry = entries.get(price)
            # What ``_available`` shows, keeping the decayed depletion ``_deplete`` adds to.
            decayed = ZERO if entry is None else self._decayed(entry, at)
            available = size if entry is None else self._floor_left(size - decayed)
            # The same sums as ``_sweep``, whose participants' share here is nothing.
            level_total = available + ZERO
            take = min(remaining, level_total)
            if take > 0:
                takes.append((price, take - ZERO, decayed))
                remaining -= take
            if take < level_total or remaining <= 0:
                break
            level += outward
        else:
            return False
        for price, amount, current in takes:
            entries[price] = _Depletion(current + amount, at)
        return True

    def _sweep(
        self,
        state: MarketState,
        side: BookSide,
        quantity: Decimal,
        limit: Decimal | None,
        when: datetime,
        aggressor: PaperOrder | None,
    ) -> list[Fill]:
        """Take up to ``quantity`` from ``side``, level by level, within ``limit``."""
        resting = self._bids if side == "bid" else self._asks
        remaining = quantity
        fills: list[Fill] = []
        for price, available, orders in self._merged(state, side, limit):
            if remaining <= 0:
                break
            level_total = available + sum((o.remaining for o in orders), ZERO)
            take = min(remaining, level_total)
            if take > 0:
                maker_fills = self._consume_level(resting, price, orders, available, take, when)
                taken_from_others = take - sum((f.quantity for f in maker_fills), ZERO)
                if taken_from_others > 0:
                    self._deplete(side, price, taken_from_others, state.at)
                fills += maker_fills
                if aggressor is not None:
                    fills.append(self._fill(aggressor, price, take, "taker", when))
                remaining -= take
            if take < level_total:
                break
        if fills:
            self._version += 1
        return fills

    def _consume_level(
        self,
        resting: _RestingSide,
        price: Decimal,
        orders: list[PaperOrder],
        background: Decimal,
        take: Decimal,
        when: datetime,
    ) -> list[Fill]:
        """Fill the participants at one level whose place in the queue ``take`` reaches.

        Each order's effective queue position is clamped between the end of the order
        before it and what is displayed ahead of it now, so positions stay consistent
        when background liquidity has left the level.
        """
        fills: list[Fill] = []
        earlier = ZERO
        previous_end = ZERO
        for order in list(orders):
            remaining = order.remaining
            ahead = max(previous_end, min(order.queue_ahead, background + earlier))
            filled = min(remaining, max(ZERO, take - ahead))
            previous_end = ahead + remaining
            earlier += remaining
            order.queue_ahead = max(ZERO, ahead - take)
            if filled > 0:
                fills.append(self._fill(order, price, filled, "maker", when))
            if order.remaining <= 0:
                resting.remove(order)
        return fills

    def _fill(
        self, order: PaperOrder, price: Decimal, quantity: Decimal, role: Liquidity, when: datetime
    ) -> Fill:
        rate = order.maker_fee if role == "maker" else order.taker_fee
        if order.side == "buy":
            fee, fee_asset = fee_for(quantity, rate), self.instrument.base
        else:
            fee, fee_asset = fee_for(price * quantity, rate), self.instrument.quote
        fill = Fill(
            trade_id=next(self._trade_ids),
            order_id=order.order_id,
            client_order_id=order.client_order_id,
            account_id=order.account_id,
            symbol=order.symbol,
            side=order.side,
            price=price,
            quantity=quantity,
            fee=fee,
            fee_asset=fee_asset,
            liquidity=role,
            executed_at=when,
        )
        order.record(fill)
        self.last_trade = fill
        return fill

    # -------------------------------------------------- background depletion

    def _decayed(self, entry: _Depletion, at: datetime) -> Decimal:
        elapsed = (at - entry.at).total_seconds()
        if elapsed <= 0:
            return entry.amount
        factor = self._decay_factors.get(elapsed)
        if factor is None:
            if len(self._decay_factors) >= _DECAY_CACHE:
                self._decay_factors.clear()
            factor = Decimal(f"{0.5 ** (elapsed / self._half_life):.9f}")
            self._decay_factors[elapsed] = factor
        return entry.amount * factor

    def _available(self, side: BookSide, price: Decimal, target: Decimal, at: datetime) -> Decimal:
        entry = self._depletion[side].get(price)
        if entry is None:
            return target
        return self._left(entry, target, at)

    def _left(self, entry: _Depletion, target: Decimal, at: datetime) -> Decimal:
        """What a depleted level of ``target`` shows at ``at``, on the lot grid."""
        return self._floor_left(target - self._decayed(entry, at))

    def _floor_left(self, left: Decimal) -> Decimal:
        if left <= 0:
            return ZERO
        step = self.instrument.step_size
        if left.adjusted() - step.adjusted() < _EXACT_UNITS:
            # floor_to_step's very result (whole steps times the step) without its
            # widened contexts, which a level's few lots never need.
            return (left // step) * step
        return floor_to_step(left, step)

    def _deplete(self, side: BookSide, price: Decimal, amount: Decimal, at: datetime) -> None:
        entry = self._depletion[side].get(price)
        current = self._decayed(entry, at) if entry is not None else ZERO
        self._depletion[side][price] = _Depletion(current + amount, at)

    def _prune_depletion(self, at: datetime) -> None:
        # After ten half-lives less than 0.1% is missing: the level is whole again.
        horizon = timedelta(seconds=self._half_life * 10)
        for entries in self._depletion.values():
            stale = [p for p, e in entries.items() if at - e.at > horizon]
            for price in stale:
                del entries[price]
