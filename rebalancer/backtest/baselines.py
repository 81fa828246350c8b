"""The baselines, each a small rule from the portfolio's state to orders.

- ``calendar``: the cron job. Every ``interval`` (a day at 00:00 UTC by default; an hour, a
  week or a month on its frontier) market orders take every asset to target.
- ``threshold``: a market order to target whenever an asset's |drift| exceeds the band (5% by
  default, the seed article's "bad approach").
- ``band_edge``: the five-line rule theory says to beat (Davis-Norman, Leland): when an
  asset's |drift| exceeds the band, a market order takes it back to the band's edge, no
  further. No cost model, no velocity.
- ``seed``: the seed article's engine: |drift| above 0.002 and a trade above 10 USDT, queued
  (left for the next check) when the quantity exceeds 1% of the top-10 depth on either side,
  otherwise a limit at mid -/+ a quarter of the spread (buys below mid, sells above), no
  velocity and no cost gate. Its orders rest until its next check, which cancels what is
  left and decides again on fresh balances (the article's own fix for partial fills).

Drift, minimums, rounding and costs come from the domain (``compute_drift``,
``floor_to_step``, ``round_to_tick``, ``estimate_cost``); only each rule's trigger is its own.
One executor places every baseline's orders the same way: sells first, then buys capped by
the cash the account holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from rebalancer.backtest.desk import Desk
from rebalancer.domain.costs import estimate_cost
from rebalancer.domain.drift import DriftReport, compute_drift
from rebalancer.domain.market import MarketRules, OrderBook, Side
from rebalancer.domain.numbers import ZERO, div, exact, floor_to_step, round_to_tick
from rebalancer.paper.orders import OrderRequest

DAY = timedelta(days=1)
# Book levels read to estimate a market buy's worst price: the few that usually hold it,
# and the most it may walk.
SHALLOW_BOOK = 10
DEEP_BOOK = 100


@dataclass(frozen=True)
class View:
    """What a baseline sees at a check: drift (domain), books by asset, and trading rules."""

    report: DriftReport
    books: dict[str, OrderBook]
    rules: dict[str, MarketRules]
    quote: str


@dataclass(frozen=True)
class Intent:
    asset: str
    side: Side
    quantity: Decimal
    # None: a market order.
    price: Decimal | None = None


class Rule(Protocol):
    name: str
    # Book levels the rule reads; 0 when it needs no book.
    book_depth: int

    def orders(self, view: View) -> list[Intent]: ...


def _to_target(view: View, asset: str, minimum: Decimal, *, keep: Decimal = ZERO) -> Intent | None:
    """The order that takes ``asset`` to within ``keep`` of its target (0: to target)."""
    row = view.report.of(asset)
    rules = view.rules[asset]
    excess = abs(row.drift) - keep
    if excess <= 0:
        return None
    quantity = floor_to_step(div(excess * view.report.equity, row.price), rules.step_size)
    if quantity <= 0 or quantity < rules.min_qty or quantity * row.price < minimum:
        return None
    return Intent(asset, "sell" if row.drift > 0 else "buy", quantity)


class Calendar:
    """Every asset to target with market orders, whatever the drift."""

    name = "calendar"
    book_depth = 0

    @exact
    def orders(self, view: View) -> list[Intent]:
        intents = (
            _to_target(view, row.asset, view.rules[row.asset].min_notional)
            for row in view.report.assets
            if row.asset != view.quote
        )
        return [intent for intent in intents if intent is not None]


class Threshold:
    """A market order for each asset whose |drift| exceeds the band: to target, or back to
    the band's edge (``to_edge``)."""

    book_depth = 0

    def __init__(self, threshold: Decimal = Decimal("0.05"), *, to_edge: bool = False) -> None:
        self.threshold = threshold
        self.to_edge = to_edge
        self.name = "band_edge" if to_edge else "threshold"

    @exact
    def orders(self, view: View) -> list[Intent]:
        keep = self.threshold if self.to_edge else ZERO
        intents = (
            _to_target(view, row.asset, view.rules[row.asset].min_notional, keep=keep)
            for row in view.report.assets
            if row.asset != view.quote and abs(row.drift) > self.threshold
        )
        return [intent for intent in intents if intent is not None]


class Seed:
    """The seed article's rules, as its code runs them."""

    name = "seed"
    book_depth = 10

    def __init__(
        self,
        tolerance: Decimal = Decimal("0.002"),
        min_trade: Decimal = Decimal("10"),
        depth_fraction: Decimal = Decimal("0.01"),
        depth_levels: int = 10,
        spread_fraction: Decimal = Decimal("0.25"),
    ) -> None:
        self.tolerance = tolerance
        self.min_trade = min_trade
        self.depth_fraction = depth_fraction
        self.depth_levels = depth_levels
        self.spread_fraction = spread_fraction

    @exact
    def orders(self, view: View) -> list[Intent]:
        intents: list[Intent] = []
        equity = view.report.equity
        for row in view.report.assets:
            if row.asset == view.quote:
                continue
            trade_value = abs(row.drift) * equity
            if abs(row.drift) <= self.tolerance or trade_value <= self.min_trade:
                continue
            book = view.books[row.asset]
            bid, ask, mid = book.best_bid, book.best_ask, book.mid
            if bid is None or ask is None or mid is None:
                continue
            side: Side = "sell" if row.drift > 0 else "buy"
            # The article divides by the bid for a buy and by the ask for a sell.
            required = div(trade_value, bid if side == "buy" else ask)
            depth_bid = book.depth("sell", self.depth_levels)
            depth_ask = book.depth("buy", self.depth_levels)
            if (
                required > depth_ask * self.depth_fraction
                or required > depth_bid * self.depth_fraction
            ):
                continue  # "queued: insufficient liquidity" - it waits for the next check
            spread = ask - bid
            offset = spread * self.spread_fraction
            price = mid - offset if side == "buy" else mid + offset
            rules = view.rules[row.asset]
            quantity = floor_to_step(required, rules.step_size)
            if quantity <= 0 or quantity < rules.min_qty:
                continue
            intents.append(
                Intent(row.asset, side, quantity, round_to_tick(price, rules.tick_size, side=side))
            )
        return intents


class Scheduled:
    """Runs a ``Rule`` every ``interval`` and places what it asks for."""

    def __init__(
        self,
        rule: Rule,
        targets: dict[str, Decimal],
        quote: str,
        start: datetime,
        interval: timedelta,
        *,
        cancel_open_orders: bool = False,
    ) -> None:
        self.rule = rule
        self.name = rule.name
        self.targets = dict(targets)
        self.quote = quote
        self.interval = interval
        self.next_check_at = start
        self.cancel_open_orders = cancel_open_orders
        self.checks = 0

    def next_wake(self) -> datetime:
        return self.next_check_at

    def run(self, desk: Desk) -> None:
        now = desk.clock
        if now < self.next_check_at:
            return
        while self.next_check_at <= now:
            self.next_check_at += self.interval
        self.checks += 1
        if self.cancel_open_orders:
            desk.cancel_open_orders()
        view = self._view(desk)
        intents = self.rule.orders(view)
        if not intents:
            return
        mids = {asset: desk.mid(asset) for asset in desk.assets}
        for intent in sorted(intents, key=lambda i: (i.side != "sell", i.asset)):
            if intent.side == "buy":
                capped = self._affordable(desk, view, intent)
                if capped is None:
                    continue
                intent = capped
            desk.place(_request(desk, intent), mids[intent.asset], now)

    def _view(self, desk: Desk) -> View:
        snapshot = desk.snapshot(self.targets)
        depth = self.rule.book_depth
        books = {a: desk.book(a, depth) for a in desk.assets} if depth else {}
        rules = {a: desk.rules(a) for a in desk.assets}
        return View(compute_drift(snapshot), books, rules, self.quote)

    @exact
    def _affordable(self, desk: Desk, view: View, intent: Intent) -> Intent | None:
        """The buy cut to the free cash: at its limit, or at the worst level its walk reaches."""
        rules = view.rules[intent.asset]
        cash = desk.free(self.quote)
        if intent.price is not None:
            worst = intent.price
        else:
            cost = estimate_cost(self._asks_for(desk, intent), "buy", intent.quantity, rules)
            worst = cost.worst_price
        quantity = min(intent.quantity, floor_to_step(div(cash, worst), rules.step_size))
        if quantity <= ZERO or quantity < rules.min_qty or quantity * worst < rules.min_notional:
            return None
        return Intent(intent.asset, "buy", quantity, intent.price)

    @staticmethod
    def _asks_for(desk: Desk, intent: Intent) -> OrderBook:
        """A book deep enough for a market buy's walk: a few levels when they hold its
        quantity (the walk stops there, so the estimate is the same), else a deep one."""
        book = desk.book(intent.asset, SHALLOW_BOOK)
        if sum((level.quantity for level in book.asks), ZERO) >= intent.quantity:
            return book
        return desk.book(intent.asset, DEEP_BOOK)


def _request(desk: Desk, intent: Intent) -> OrderRequest:
    symbol = desk.symbol(intent.asset)
    if intent.price is None:
        return OrderRequest(symbol, intent.side, "market", quantity=intent.quantity)
    return OrderRequest(symbol, intent.side, "limit", quantity=intent.quantity, price=intent.price)


BASELINE_NAMES = ("calendar", "threshold", "band_edge", "seed")
DEFAULT_BAND = Decimal("0.05")


@dataclass(frozen=True)
class Knobs:
    """A baseline's frontier knob: the band of the drift-triggered ones, the calendar's
    period; None is the baseline's default (5%, a day)."""

    band: Decimal | None = None
    interval: timedelta | None = None

    def used_by(self, name: str) -> Knobs:
        """The knobs ``name`` actually runs with: a default spelled out (``calendar``
        without an interval runs daily), a knob it ignores dropped. Two runs with the same
        knobs, settings and market are the same run."""
        if name == "calendar":
            return Knobs(interval=self.interval or DAY)
        if name in ("threshold", "band_edge"):
            return Knobs(band=self.band or DEFAULT_BAND)
        return NO_KNOBS


NO_KNOBS = Knobs()


def baseline(
    name: str,
    targets: dict[str, Decimal],
    quote: str,
    start: datetime,
    cadence: timedelta,
    knobs: Knobs,
) -> Scheduled:
    """A baseline by name; ``cadence`` is how often the drift-triggered ones look."""
    if name == "calendar":
        return Scheduled(Calendar(), targets, quote, start, knobs.interval or DAY)
    if name in ("threshold", "band_edge"):
        rule = Threshold(knobs.band or DEFAULT_BAND, to_edge=name == "band_edge")
        return Scheduled(rule, targets, quote, start, cadence)
    if name == "seed":
        return Scheduled(Seed(), targets, quote, start, cadence, cancel_open_orders=True)
    raise KeyError(name)
