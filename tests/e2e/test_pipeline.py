"""The pipeline end to end: real Temporal dev server, embedded PostgreSQL, the paper venue
as its own process, stock ccxt, and the real activities."""

from __future__ import annotations

import asyncio
import os
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from rebalancer.paper.admin_client import PaperAdmin
from rebalancer.pipeline.messages import AccountConfig, AccountStatus
from rebalancer.pipeline.names import workflow_id
from rebalancer.pipeline.state import AccountWorkflowInput
from tests.e2e.conftest import Pipeline, pipeline
from tests.paper_venue_fixtures import PaperVenueProcess
from workflows import AccountWorkflow

pytestmark = pytest.mark.e2e

FAST = {
    "check_interval_seconds": 2,
    "fill_timeout_seconds": 2,
    "requeue_base_seconds": 1,
    "requeue_max_seconds": 4,
}


async def start(
    p: Pipeline, account_id: str, targets: dict[str, str]
) -> WorkflowHandle[AccountWorkflow, None]:
    paper = p.venue.new_account({"USDT": "100000"}, prefix="e2e")
    p.add_credentials(account_id, paper)
    # The workflow only ever sees the account id; the venue knows it by its own name.
    config = AccountConfig.model_validate(
        {"account_id": account_id, "venue": "paper", "targets": targets, "policy": FAST}
    )
    p.venue_names[account_id] = paper.account_id
    return await p.client.start_workflow(
        AccountWorkflow.run,
        AccountWorkflowInput(config=config),
        id=workflow_id(account_id),
        task_queue=p.task_queue,
    )


async def until(
    handle: WorkflowHandle[AccountWorkflow, None], check: object, seconds: float = 60
) -> AccountStatus:
    assert callable(check)
    status = None
    try:
        async with asyncio.timeout(seconds):
            while True:
                status = await handle.query(AccountWorkflow.status)
                if check(status):
                    return status
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(f"condition not met in {seconds}s; last status: {status}") from None


async def settle(handle: WorkflowHandle[AccountWorkflow, None]) -> AccountStatus:
    await handle.signal(AccountWorkflow.pause)
    return await until(handle, lambda s: s.state == "paused")


async def test_account_builds_its_portfolio_exactly_once(
    dev_server: WorkflowEnvironment, ledger_dsn: str, paper_venue: PaperVenueProcess, tmp_path: Path
) -> None:
    async with pipeline(dev_server.client, ledger_dsn, paper_venue, tmp_path) as p:
        handle = await start(p, "e2e-build", {"BTC": "0.4", "ETH": "0.3", "USDT": "0.3"})
        await until(handle, lambda s: s.totals.get("orders_filled", 0) >= 2)
        status = await settle(handle)

        venue_name = p.venue_names["e2e-build"]
        async with PaperAdmin(paper_venue.base_url) as admin:
            # The ledger knows the account by our id; the venue by its own: audit each side.
            orders = await admin.orders(venue_name)
            venue_balances = await admin.balances(venue_name)
        ids = [o["client_order_id"] for o in orders]
        assert len(ids) == len(set(ids)), "a client order id reached the venue twice"
        assert all(i.startswith("rb-") for i in ids)
        ledger_balances = await p.ledger.balances_from_fills("e2e-build")
        for asset in {"BTC", "ETH", "USDT"}:
            assert ledger_balances.get(asset, Decimal(0)) == venue_balances[asset].total, asset
        assert venue_balances["BTC"].total > 0
        assert venue_balances["ETH"].total > 0

        ledger_orders = await p.ledger.orders_for_account("e2e-build")
        assert {o.client_order_id for o in ledger_orders} == set(ids)
        assert all(o.status in ("closed", "canceled") for o in ledger_orders), [
            (o.client_order_id, o.status, o.filled_quantity, o.quantity) for o in ledger_orders
        ]
        cycles = await p.ledger.cycles("e2e-build", limit=100)
        assert len(cycles) >= status.cycle - 1
        assert any(c.realised_cost is not None for c in cycles)
        await handle.terminate()


async def test_order_behind_an_ambiguous_fault_is_placed_once(
    dev_server: WorkflowEnvironment,
    ledger_dsn: str,
    paper_faults: PaperVenueProcess,
    tmp_path: Path,
) -> None:
    async with pipeline(dev_server.client, ledger_dsn, paper_faults, tmp_path) as p:
        # The venue accepts the next order, then answers 5xx: the retry must find it.
        paper_faults.set_faults(ambiguous_next_orders=1, ambiguous_mode="error")
        handle = await start(p, "e2e-ambiguous", {"BTC": "0.5", "USDT": "0.5"})
        await until(handle, lambda s: s.totals.get("orders_filled", 0) >= 1)
        await settle(handle)
        orders = paper_faults.orders(p.venue_names["e2e-ambiguous"])
        ids = [o["client_order_id"] for o in orders]
        assert ids, "the order must have reached the venue"
        assert len(ids) == len(set(ids))
        ledger_orders = await p.ledger.orders_for_account("e2e-ambiguous")
        assert {o.client_order_id for o in ledger_orders} == set(ids)
        await handle.terminate()


async def test_schedule_from_the_cli_triggers_a_review(
    dev_server: WorkflowEnvironment, ledger_dsn: str, paper_venue: PaperVenueProcess, tmp_path: Path
) -> None:
    async with pipeline(dev_server.client, ledger_dsn, paper_venue, tmp_path) as p:
        handle = await start(p, "e2e-schedule", {"BTC": "0.2", "USDT": "0.8"})
        await handle.execute_update(
            AccountWorkflow.set_policy, {"policy": {"check_interval_seconds": 3600}}
        )
        await until(handle, lambda s: s.cycle >= 1)
        env = {
            **os.environ,
            "REBALANCER_TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
            "REBALANCER_TASK_QUEUE": p.task_queue,
        }

        async def cli(*args: str) -> tuple[int, str, str]:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "rebalancer",
                "schedule",
                *args,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await process.communicate()
            assert process.returncode is not None
            return process.returncode, out.decode(), err.decode()

        code, _, err = await cli(
            "create", "e2e-schedule", "--cron", "0 9 * * MON", "--id", "review-e2e"
        )
        assert code == 0, err
        code, _, err = await cli(
            "create", "e2e-schedule", "--cron", "not a cron", "--id", "review-bad"
        )
        assert code == 2
        assert "--cron" in err
        assert "Traceback" not in err
        code, out, _ = await cli("list", "--json")
        assert "review-e2e" in out

        await dev_server.client.get_schedule_handle("review-e2e").trigger()
        reviewed = await until(
            handle, lambda s: s.last_cycle is not None and s.last_cycle.trigger == "schedule"
        )
        assert reviewed.cycle >= 2
        code, _, err = await cli("delete", "review-e2e")
        assert code == 0, err
        await handle.terminate()
