"""Builders for workflow tests: a BTC/ETH market, books of a chosen depth, a worker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal

from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from activities import Deps, StepContext, account_activities
from rebalancer.domain.market import MarketRules, OrderBook, symbol_for
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.pipeline.messages import AccountConfig, AccountStatus
from rebalancer.pipeline.names import workflow_id
from rebalancer.pipeline.state import AccountWorkflowInput
from rebalancer.runtime.sandbox import workflow_runner
from rebalancer.venue.pool import GatewayPool
from tests.workflows.history_recording import record_history
from tests.workflows.memory_ledger import MemoryLedger
from tests.workflows.memory_venue import MemoryVenue
from workflows import WORKFLOWS, AccountWorkflow


def _rules(base: str, step: str) -> MarketRules:
    """A USDT market: 0.01 ticks, ``step`` lots (the least quantity too), 5 USDT notional."""
    return MarketRules(
        symbol=symbol_for(base, "USDT"),
        base=base,
        quote="USDT",
        tick_size=Decimal("0.01"),
        step_size=Decimal(step),
        min_qty=Decimal(step),
        min_notional=Decimal("5"),
    )


RULES = {r.symbol: r for r in (_rules("BTC", "0.00001"), _rules("ETH", "0.0001"))}
MIDS = {"BTC/USDT": Decimal("64000"), "ETH/USDT": Decimal("3400")}


def book(symbol: str, size: Decimal, levels: int = 20) -> OrderBook:
    """A book with ``size`` at every level, one tick apart from a one-tick spread."""
    mid = MIDS[symbol]
    tick = RULES[symbol].tick_size
    bids = [(mid - tick * (i + 1), size) for i in range(levels)]
    asks = [(mid + tick * (i + 1), size) for i in range(levels)]
    return OrderBook.from_pairs(bids, asks)


def memory_venue(
    depth: str = "100", kind: type[MemoryVenue] = MemoryVenue, **balances: str
) -> MemoryVenue:
    """A venue of ``kind`` on RULES, ``depth`` at every level of every book, holding
    ``balances`` (asset=quantity)."""
    books = {s: book(s, Decimal(depth)) for s in RULES}
    return kind(dict(RULES), books, {a: Decimal(q) for a, q in balances.items()})


def marketable_policy(**changes: object) -> PolicySettings:
    # Sizing to target with one fixed 1% band: the expectations below are computed that way,
    # whatever the tuned defaults are.
    return PolicySettings.model_validate(
        {
            "execution_style": "marketable",
            "check_interval_seconds": 60,
            "sizing": "target",
            "band": "0.01",
            "band_rule": "fixed",
            "risk_aversion": "5",
            **changes,
        }
    )


def half_btc(account_id: str, **policy: object) -> AccountConfig:
    """An account on the paper venue targeting half BTC, half USDT, at a marketable policy."""
    return AccountConfig(
        account_id=account_id,
        venue="paper",
        targets={"BTC": Decimal("0.5"), "USDT": Decimal("0.5")},
        policy=marketable_policy(**policy),
    )


@dataclass
class Harness:
    client: Client
    venue: MemoryVenue
    ledger: MemoryLedger
    task_queue: str

    async def start(self, config: AccountConfig) -> WorkflowHandle[AccountWorkflow, None]:
        return await self.client.start_workflow(
            AccountWorkflow.run,
            AccountWorkflowInput(config=config),
            id=workflow_id(config.account_id),
            task_queue=self.task_queue,
        )

    async def status(self, handle: WorkflowHandle[AccountWorkflow, None]) -> AccountStatus:
        return await handle.query(AccountWorkflow.status)


@asynccontextmanager
async def harness(client: Client, venue: MemoryVenue) -> AsyncIterator[Harness]:
    ledger = MemoryLedger()
    task_queue = f"test-{uuid.uuid4()}"
    deps = Deps(ledger=ledger, venues=GatewayPool(lambda account, name: venue))
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=account_activities(deps),
        interceptors=[StepContext()],
        workflow_runner=workflow_runner(),
    ):
        yield Harness(client=client, venue=venue, ledger=ledger, task_queue=task_queue)


@asynccontextmanager
async def recorded_account(
    client: Client, venue: MemoryVenue, config: AccountConfig, history: str
) -> AsyncIterator[tuple[Harness, WorkflowHandle[AccountWorkflow, None]]]:
    """The account `config` running on `venue`; at the end, terminated and its history
    recorded as `history`."""
    async with harness(client, venue) as h:
        handle = await h.start(config)
        yield h, handle
        await handle.terminate()
        await record_history(handle, history)
