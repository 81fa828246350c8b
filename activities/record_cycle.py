"""record-cycle: the cycle's row in the ledger, with its decision and its costs."""

from __future__ import annotations

import structlog
from temporalio import activity

from activities.deps import Step
from rebalancer.ledger.records import CycleEnd, CycleStart
from rebalancer.pipeline.messages import CycleRecord
from rebalancer.runtime import telemetry

log = structlog.get_logger("rebalancer.activities.record_cycle")


class RecordCycle(Step):
    @activity.defn(name="record_cycle")
    async def run(self, record: CycleRecord) -> None:
        summary = record.summary
        account_id = record.account.account_id
        await self.deps.ledger.start_cycle(
            CycleStart(
                account_id=account_id,
                cycle=summary.cycle,
                trigger=summary.trigger,
                started_at=summary.started_at,
            )
        )
        log.info(
            "cycle recorded",
            trigger=summary.trigger,
            status=summary.status,
            orders_placed=summary.orders_placed,
            orders_filled=summary.orders_filled,
            max_abs_drift=str(summary.max_abs_drift) if summary.max_abs_drift is not None else None,
        )
        telemetry.cycle_costs(record.account.venue, summary.predicted_cost, summary.realised_cost)
        telemetry.legs_held(account_id, summary.legs_queued)
        await self.deps.ledger.finish_cycle(
            CycleEnd(
                account_id=account_id,
                cycle=summary.cycle,
                ended_at=summary.ended_at or summary.started_at,
                status=summary.status,
                decision={
                    "summary": summary.model_dump(mode="json"),
                    "plan": record.plan.model_dump(mode="json") if record.plan else None,
                },
                predicted_cost=summary.predicted_cost,
                realised_cost=summary.realised_cost,
            )
        )
        if record.watch is not None:
            # After the cycle's reconcile recorded the balances the watcher will read with it.
            await self.deps.ledger.save_region(account_id, record.watch)
