"""The paper exchange in process: accounts, filters, funds, and one matching engine per symbol.

Every method takes the exchange time ``now`` explicitly; nothing reads a clock. The HTTP
server calls it with wall time, the backtest with its own simulated time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from rebalancer.domain.market import MarketRules, OrderBook, Quote
from rebalancer.paper.accounts import Account
from rebalancer.paper.daily_bars import DailyBar, load_asset_bars
from rebalancer.paper.instruments import DEFAULT_INSTRUMENTS, Instrument
from rebalancer.paper.joint_replay import CorrelatedDays
from rebalancer.paper.market_model import BookSide, MarketModel, MarketState
from rebalancer.paper.matching import MatchingEngine
from rebalancer.paper.orders import (
    CLIENT_ORDER_ID,
    Fill,
    OrderRejected,
    OrderRequest,
    PaperOrder,
)
from rebalancer.paper.price_paths import PricePath, ReplayPath, SimulatedPath
from rebalancer.paper.scenarios import Scenario, scenario_named
from rebalancer.paper.seeding import derive_seed
from rebalancer.venue.models import Balance

MarketTime = Callable[[datetime], datetime]


class PaperVenue:
    def __init__(
        self,
        models: Sequence[MarketModel],
        *,
        seed: int = 0,
        market_time: MarketTime | None = None,
        replenish_half_life: timedelta = timedelta(seconds=10),
        max_step: timedelta = timedelta(seconds=5),
    ) -> None:
        self.seed = seed
        self._engines: dict[str, MatchingEngine] = {}
        self._symbols: dict[str, str] = {}
        for model in models:
            engine = MatchingEngine(
                model,
                seed=seed,
                market_time=market_time,
                replenish_half_life=replenish_half_life,
                max_step=max_step,
            )
            self._engines[model.symbol] = engine
            self._symbols[model.symbol] = model.symbol
            self._symbols[model.instrument.venue_symbol] = model.symbol
        self._accounts: dict[str, Account] = {}
        self._orders: dict[int, PaperOrder] = {}
        self._orders_of: dict[str, list[PaperOrder]] = {}
        self._by_client_id: dict[tuple[str, str], list[PaperOrder]] = {}
        self._trades_of: dict[str, list[Fill]] = {}
        self._order_ids = itertools.count(1)

    # -------------------------------------------------------------- markets

    @property
    def symbols(self) -> list[str]:
        return list(self._engines)

    @property
    def instruments(self) -> list[Instrument]:
        return [engine.instrument for engine in self._engines.values()]

    def symbol(self, name: str) -> str:
        """The unified symbol for ``BTC/USDT`` or ``BTCUSDT``."""
        try:
            return self._symbols[name]
        except KeyError:
            raise OrderRejected("unknown_symbol", "Invalid symbol.") from None

    def engine(self, symbol: str) -> MatchingEngine:
        return self._engines[self.symbol(symbol)]

    def rules(self, symbol: str) -> MarketRules:
        return self.engine(symbol).instrument.rules

    def advance(self, now: datetime, symbols: Iterable[str] | None = None) -> list[Fill]:
        fills: list[Fill] = []
        for name in symbols if symbols is not None else self.symbols:
            fills += self._advance(self.engine(name), now)
        return fills

    def _advance(self, engine: MatchingEngine, now: datetime) -> list[Fill]:
        fills = engine.advance(now)
        self._settle(fills)
        return fills

    def state(self, symbol: str, now: datetime) -> MarketState:
        engine = self.engine(symbol)
        self._advance(engine, now)
        return engine.state()

    def book(self, symbol: str, now: datetime, depth: int = 20) -> OrderBook:
        engine = self.engine(symbol)
        self._advance(engine, now)
        return engine.book(depth)

    def quote(self, symbol: str, now: datetime) -> Quote:
        book = self.book(symbol, now, 1)
        engine = self.engine(symbol)
        return Quote(bid=book.best_bid, ask=book.best_ask, last=engine.state().mid)

    # ------------------------------------------------------------- accounts

    def add_account(
        self,
        account_id: str,
        balances: Mapping[str, Decimal],
        *,
        maker_fee: Decimal | None = None,
        taker_fee: Decimal | None = None,
    ) -> Account:
        if account_id in self._accounts:
            raise ValueError(f"account {account_id!r} already exists")
        default = next(iter(self._engines.values())).instrument if self._engines else None
        account = Account.with_balances(
            account_id,
            balances,
            maker_fee=maker_fee if maker_fee is not None else _fee(default, "maker"),
            taker_fee=taker_fee if taker_fee is not None else _fee(default, "taker"),
        )
        self._accounts[account_id] = account
        self._orders_of[account_id] = []
        self._trades_of[account_id] = []
        return account

    def has_account(self, account_id: str) -> bool:
        return account_id in self._accounts

    def account(self, account_id: str) -> Account:
        try:
            return self._accounts[account_id]
        except KeyError:
            raise KeyError(f"unknown account {account_id!r}") from None

    @property
    def account_ids(self) -> list[str]:
        return list(self._accounts)

    def balances(self, account_id: str, now: datetime | None = None) -> dict[str, Balance]:
        if now is not None:
            self.advance(now)
        return self.account(account_id).balances()

    # --------------------------------------------------------------- orders

    def place_order(self, account_id: str, request: OrderRequest, now: datetime) -> PaperOrder:
        """Validate, fund and match an order; raise ``OrderRejected`` for a refused one."""
        account = self.account(account_id)
        symbol = self.symbol(request.symbol)
        engine = self._engines[symbol]
        inst = engine.instrument
        self._advance(engine, now)
        client_order_id = self._client_order_id(account_id, request.client_order_id)
        taking: BookSide = "ask" if request.side == "buy" else "bid"
        quantity, price = request.quantity, request.price
        if request.type == "market":
            quantity, cost = self._market_size(engine, request, taking)
        else:
            if price is None or quantity is None:
                raise OrderRejected(
                    "invalid_parameter",
                    "Mandatory parameter 'price' or 'quantity' was not sent, was empty/null, "
                    "or malformed.",
                )
            _check_price(inst, price)
            cost = price * quantity
        _check_lot(inst, quantity)
        if cost < inst.min_notional:
            raise OrderRejected("notional", "Filter failure: NOTIONAL")
        if request.type == "limit_maker" and price is not None and engine.would_take(taking, price):
            raise OrderRejected("would_take", "Order would immediately match and take.")
        order = PaperOrder(
            order_id=next(self._order_ids),
            client_order_id=client_order_id,
            account_id=account_id,
            symbol=symbol,
            side=request.side,
            type=request.type,
            time_in_force=request.time_in_force if request.type == "limit" else "GTC",
            price=price if request.type != "market" else None,
            quantity=quantity,
            quote_quantity=request.quote_quantity,
            created_at=now,
            updated_at=now,
            maker_fee=account.maker_fee,
            taker_fee=account.taker_fee,
        )
        if order.side == "buy":
            account.lock(order, inst.quote, cost)
        else:
            account.lock(order, inst.base, quantity)
        self._remember(order)
        if order.time_in_force == "FOK":
            available = sum(
                (q for _, q in engine.preview(taking, quantity=quantity, limit=price)), Decimal(0)
            )
            if available < quantity:
                order.status = "expired"
                account.release(order)
                return order
        self._settle(engine.submit(order))
        if not order.is_open:
            account.release(order)
        return order

    def _market_size(
        self, engine: MatchingEngine, request: OrderRequest, taking: BookSide
    ) -> tuple[Decimal, Decimal]:
        """Quantity and exact cost of a market order, from the book it would walk now."""
        if (request.quantity is None) == (request.quote_quantity is None):
            raise OrderRejected(
                "invalid_parameter",
                "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty.",
            )
        if request.quantity is not None:
            _check_lot(engine.instrument, request.quantity)
            walk = engine.preview(taking, quantity=request.quantity)
        else:
            assert request.quote_quantity is not None
            walk = engine.preview(taking, quote=request.quote_quantity)
        quantity = sum((q for _, q in walk), Decimal(0))
        if quantity <= 0:
            raise OrderRejected("lot_size", "Filter failure: LOT_SIZE")
        return quantity, sum((p * q for p, q in walk), Decimal(0))

    def _client_order_id(self, account_id: str, wanted: str | None) -> str:
        if wanted is None:
            return f"paper-{derive_seed(self.seed, account_id, len(self._orders)):016x}"[:36]
        if not CLIENT_ORDER_ID.match(wanted):
            raise OrderRejected(
                "illegal_characters",
                "Illegal characters found in parameter 'newClientOrderId'; legal range is "
                "'^[a-zA-Z0-9-_]{1,36}$'.",
            )
        for previous in self._by_client_id.get((account_id, wanted), ()):
            if previous.is_open:
                raise OrderRejected("duplicate_order", "Duplicate order sent.")
        return wanted

    def _remember(self, order: PaperOrder) -> None:
        self._orders[order.order_id] = order
        self._orders_of[order.account_id].append(order)
        self._by_client_id.setdefault((order.account_id, order.client_order_id), []).append(order)

    def _settle(self, fills: list[Fill]) -> None:
        # Orders are already updated by the engine; release a finished order's leftover
        # lock only after every one of its fills in this batch has been paid from it.
        touched: dict[int, PaperOrder] = {}
        for fill in fills:
            order = self._orders[fill.order_id]
            inst = self._engines[fill.symbol].instrument
            self._accounts[fill.account_id].settle(order, fill, inst.base, inst.quote)
            self._trades_of[fill.account_id].append(fill)
            touched[order.order_id] = order
        for order in touched.values():
            if not order.is_open:
                self._accounts[order.account_id].release(order)

    def cancel_order(
        self,
        account_id: str,
        symbol: str,
        now: datetime,
        *,
        order_id: int | None = None,
        client_order_id: str | None = None,
    ) -> PaperOrder:
        engine = self.engine(symbol)
        self._advance(engine, now)
        order = self._find(account_id, symbol, order_id, client_order_id, "Unknown order sent.")
        if not order.is_open:
            raise OrderRejected("unknown_order", "Unknown order sent.")
        engine.cancel(order)
        self.account(account_id).release(order)
        return order

    def order(
        self,
        account_id: str,
        symbol: str,
        now: datetime | None = None,
        *,
        order_id: int | None = None,
        client_order_id: str | None = None,
    ) -> PaperOrder:
        if now is not None:
            self._advance(self.engine(symbol), now)
        return self._find(account_id, symbol, order_id, client_order_id, "Order does not exist.")

    def _find(
        self,
        account_id: str,
        symbol: str,
        order_id: int | None,
        client_order_id: str | None,
        missing: str,
    ) -> PaperOrder:
        unified = self.symbol(symbol)
        found: PaperOrder | None = None
        if order_id is not None:
            found = self._orders.get(order_id)
        elif client_order_id is not None:
            candidates = [
                o
                for o in self._by_client_id.get((account_id, client_order_id), ())
                if o.symbol == unified
            ]
            found = candidates[-1] if candidates else None
        else:
            raise OrderRejected(
                "invalid_parameter",
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        if found is None or found.account_id != account_id or found.symbol != unified:
            raise OrderRejected("unknown_order", missing)
        if client_order_id is not None and found.client_order_id != client_order_id:
            raise OrderRejected("unknown_order", missing)
        return found

    def open_orders(
        self, account_id: str, symbol: str | None = None, now: datetime | None = None
    ) -> list[PaperOrder]:
        unified = self.symbol(symbol) if symbol is not None else None
        if now is not None:
            self.advance(now, [unified] if unified else None)
        return [
            o
            for o in self._orders_of.get(account_id, [])
            if o.is_open and (unified is None or o.symbol == unified)
        ]

    def orders(self, account_id: str, symbol: str | None = None) -> list[PaperOrder]:
        """Every order the venue ever accepted for the account, oldest first."""
        self.account(account_id)
        unified = self.symbol(symbol) if symbol is not None else None
        return [o for o in self._orders_of[account_id] if unified is None or o.symbol == unified]

    def trades(
        self,
        account_id: str,
        symbol: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        from_id: int | None = None,
        order_id: int | None = None,
        limit: int = 500,
    ) -> list[Fill]:
        unified = self.symbol(symbol)
        result: list[Fill] = []
        for fill in self._trades_of.get(account_id, []):
            if fill.symbol != unified:
                continue
            if start is not None and fill.executed_at < start:
                continue
            if end is not None and fill.executed_at > end:
                continue
            if from_id is not None and fill.trade_id < from_id:
                continue
            if order_id is not None and fill.order_id != order_id:
                continue
            result.append(fill)
        result.sort(key=lambda f: f.trade_id)
        return result[:limit]


def _fee(instrument: Instrument | None, role: str) -> Decimal:
    if instrument is None:
        return Decimal("0.001")
    return instrument.maker_fee if role == "maker" else instrument.taker_fee


def _check_price(inst: Instrument, price: Decimal) -> None:
    if price < inst.min_price or price > inst.max_price or price % inst.tick_size != 0:
        raise OrderRejected("price_filter", "Filter failure: PRICE_FILTER")


def _check_lot(inst: Instrument, quantity: Decimal) -> None:
    if quantity < inst.min_qty or quantity > inst.max_qty or quantity % inst.step_size != 0:
        raise OrderRejected("lot_size", "Filter failure: LOT_SIZE")


def build_paths(
    scenario: Scenario,
    instruments: Sequence[Instrument],
    *,
    seed: int,
    start: datetime | None,
    data_dir: Path | None = None,
    step: timedelta | None = None,
    bars: Mapping[str, Sequence[DailyBar]] | None = None,
) -> list[PricePath]:
    """One path per instrument. Replayed baskets are drawn jointly (``CorrelatedDays``);
    ``bars`` by base asset replaces the files (a resampled history, say)."""
    paths: list[PricePath] = []
    replay_step = step or timedelta(minutes=1)
    history: dict[str, Sequence[DailyBar]] = {}
    joint: CorrelatedDays | None = None
    if scenario.replay:
        for inst in instruments:
            history[inst.symbol] = (
                bars[inst.base] if bars is not None else load_asset_bars(inst.base, data_dir)
            )
        joint = CorrelatedDays(
            history,
            seed=derive_seed(seed, "joint"),
            steps=int(timedelta(days=1) / replay_step),
        )
    for inst in instruments:
        if scenario.replay:
            paths.append(
                ReplayPath(
                    history[inst.symbol],
                    seed=derive_seed(seed, inst.symbol),
                    name=inst.symbol,
                    step=replay_step,
                    days=joint,
                )
            )
        else:
            paths.append(
                SimulatedPath(
                    inst.start_price,
                    start or datetime.now(UTC).replace(microsecond=0),
                    regimes=scenario.regimes,
                    seed=derive_seed(seed, inst.symbol),
                    step=step or timedelta(seconds=1),
                )
            )
    return paths


def build_venue(
    scenario: str | Scenario = "calm",
    *,
    seed: int = 0,
    start: datetime | None = None,
    market_time: MarketTime | None = None,
    instruments: Sequence[Instrument] = DEFAULT_INSTRUMENTS,
    data_dir: Path | None = None,
    path_step: timedelta | None = None,
    bars: Mapping[str, Sequence[DailyBar]] | None = None,
) -> PaperVenue:
    """A venue for a named scenario. ``start`` is where simulated paths begin (replay paths
    begin at their first bar); ``market_time`` maps exchange time to market time."""
    chosen = scenario_named(scenario) if isinstance(scenario, str) else scenario
    paths = build_paths(
        chosen, instruments, seed=seed, start=start, data_dir=data_dir, step=path_step, bars=bars
    )
    models = [
        MarketModel(inst, path, liquidity=chosen.liquidity, seed=seed)
        for inst, path in zip(instruments, paths, strict=True)
    ]
    return PaperVenue(models, seed=seed, market_time=market_time)
