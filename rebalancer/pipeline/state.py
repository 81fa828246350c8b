"""The account workflow's durable state, carried whole across continue-as-new."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field

from rebalancer.domain.execution import QueuedLeg
from rebalancer.domain.numbers import Dec
from rebalancer.domain.tracking import Tracking
from rebalancer.pipeline.messages import AccountConfig, CycleSummary


class AccountState(BaseModel):
    config: AccountConfig
    registered: bool = False
    paused: bool = False
    cycle: int = 0
    # Drift samples, volatility, pending instructions: durable, so a restart or
    # continue-as-new forgets none of them (the seed's drift-history bug).
    tracking: Tracking = Field(default_factory=Tracking)
    last_drift: dict[str, Dec] = Field(default_factory=dict)
    queued: dict[str, QueuedLeg] = Field(default_factory=dict)
    next_check_at: AwareDatetime | None = None
    last_cycle: CycleSummary | None = None
    # Set when a cycle ended without its closing reconcile: the next one reconciles first.
    needs_reconcile: bool = True
    totals: dict[str, int] = Field(default_factory=dict)


class AccountWorkflowInput(BaseModel):
    config: AccountConfig
    state: AccountState | None = None
