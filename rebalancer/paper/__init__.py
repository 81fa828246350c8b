"""The paper venue: a market model and matching engine, in process or behind a
Binance-dialect HTTP server (``rebalancer.paper.server``, the only part that imports aiohttp).

In-process API (what the backtest drives). Every call takes the time explicitly; nothing
reads a clock, so a year runs in seconds::

    from datetime import UTC, datetime, timedelta
    from decimal import Decimal
    from rebalancer.paper import OrderRequest, build_venue

    venue = build_venue("replay", seed=7)                 # or "calm", "volatile", "crash", "thin"
    venue.add_account("acct", {"USDT": Decimal("100000"), "BTC": Decimal("1")})
    now = datetime(2022, 1, 1, tzinfo=UTC)
    book = venue.book("BTC/USDT", now, depth=20)          # rebalancer.domain.market.OrderBook
    order = venue.place_order(
        "acct",
        OrderRequest("BTC/USDT", "buy", "limit", quantity=Decimal("0.5"),
                     price=book.asks[0].price, client_order_id="c1"),
        now,
    )                                                     # PaperOrder; raises OrderRejected
    fills = venue.advance(now + timedelta(minutes=5))     # resting orders fill as time passes
    venue.balances("acct")                                # {asset: venue.models.Balance}

``build_venue(scenario="calm", *, seed=0, start=None, market_time=None,
instruments=DEFAULT_INSTRUMENTS, data_dir=None, path_step=None) -> PaperVenue``
    One ``MarketModel`` + ``MatchingEngine`` per instrument (BTC/USDT, ETH/USDT, LINK/USDT).
    ``start``: where simulated paths begin (replay paths begin at their first bar, 2020-12-31).
    ``market_time``: exchange time -> market time (identity by default; ``SpeedClock`` in the
    server). ``path_step``: simulated 1 s / replay 1 min by default; use a coarser simulated
    step (e.g. 1 min) for year-long simulated runs.

``PaperVenue`` (``venue.py``), all times UTC-aware exchange times:
    ``symbols``, ``instruments``, ``rules(symbol) -> MarketRules``, ``engine(symbol)``
    ``add_account(account_id, balances, *, maker_fee=None, taker_fee=None) -> Account``
    ``account(account_id) -> Account``; ``balances(account_id, now=None) -> dict[str, Balance]``
    ``advance(now, symbols=None) -> list[Fill]`` (settles every fill into the accounts)
    ``state(symbol, now) -> MarketState`` (mid on the tick grid, volatility, background bid/ask)
    ``book(symbol, now, depth=20) -> OrderBook``; ``quote(symbol, now) -> Quote``
    ``place_order(account_id, OrderRequest, now) -> PaperOrder`` (raises ``OrderRejected``
    with ``reason`` in insufficient_balance, price_filter, lot_size, notional,
    duplicate_order, would_take, unknown_symbol, invalid_parameter, illegal_characters)
    ``cancel_order(account_id, symbol, now, *, order_id=None, client_order_id=None)``
    ``order(account_id, symbol, now=None, *, order_id=None, client_order_id=None)``
    ``open_orders(account_id, symbol=None, now=None)``; ``orders(account_id, symbol=None)``
    (every accepted order); ``trades(account_id, symbol, *, start, end, from_id, order_id,
    limit=500) -> list[Fill]``

``OrderRequest(symbol, side, type, quantity=None, price=None, quote_quantity=None,
client_order_id=None, time_in_force="GTC")``: type "limit" | "limit_maker" (post-only) |
"market" (by ``quantity`` or ``quote_quantity``); time_in_force GTC | IOC | FOK.

``PaperOrder`` (mutable, filled in place): order_id, client_order_id, status
(new | partially_filled | filled | canceled | expired), price, quantity, executed_quantity,
cumulative_quote, average_price, queue_ahead (quantity ahead of it at its price), fills.
``Fill``: trade_id, order_id, price, quantity, fee, fee_asset, liquidity (maker | taker),
executed_at.

Lower level, for a custom set-up:
    ``SimulatedPath(start_price, start, *, regimes, seed, step)`` and ``ReplayPath(bars, *,
    seed, name, step)`` each answer ``sample(moment) -> PathSample(mid, volatility)``
    (``price_paths``); ``load_asset_bars(asset, data_dir=None)`` reads the bundled
    ``<ASSET>-USD.daily.csv`` (``daily_bars``); ``Regime``/``SCENARIOS`` (``scenarios``).
    ``MarketModel(instrument, path, *, liquidity, seed)``: ``state(at)``, ``mid(at)``,
    ``volatility(at)``, ``book(at, depth)`` (background only).
    ``MatchingEngine(model, *, seed, market_time, replenish_half_life, max_step)``:
    ``advance(now) -> fills``, ``submit(order)``, ``cancel(order)``, ``book(depth)``,
    ``preview(side_taken, quantity=, quote=, limit=)``; accounts are the venue's job.

Determinism: the same seed, scenario, start and sequence of calls give the same prices,
books and fills.
"""

from rebalancer.paper.accounts import Account
from rebalancer.paper.clock import SpeedClock
from rebalancer.paper.daily_bars import DailyBar, load_asset_bars, load_daily_bars
from rebalancer.paper.instruments import DEFAULT_INSTRUMENTS, Instrument
from rebalancer.paper.market_model import MarketModel, MarketState
from rebalancer.paper.matching import MatchingEngine
from rebalancer.paper.orders import Fill, OrderRejected, OrderRequest, PaperOrder
from rebalancer.paper.price_paths import PathSample, Regime, ReplayPath, SimulatedPath
from rebalancer.paper.scenarios import SCENARIOS, Liquidity, Scenario
from rebalancer.paper.venue import PaperVenue, build_venue

__all__ = [
    "DEFAULT_INSTRUMENTS",
    "SCENARIOS",
    "Account",
    "DailyBar",
    "Fill",
    "Instrument",
    "Liquidity",
    "MarketModel",
    "MarketState",
    "MatchingEngine",
    "OrderRejected",
    "OrderRequest",
    "PaperOrder",
    "PaperVenue",
    "PathSample",
    "Regime",
    "ReplayPath",
    "Scenario",
    "SimulatedPath",
    "SpeedClock",
    "build_venue",
    "load_asset_bars",
    "load_daily_bars",
]
