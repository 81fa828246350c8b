"""The account workflow's durable state, carried whole across continue-as-new."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field

from rebalancer.domain.execution import QueuedLeg
from rebalancer.domain.numbers import Dec, PosDec
from rebalancer.pipeline.messages import AccountConfig, CycleSummary


class AccountState(BaseModel):
    config: AccountConfig
    registered: bool = False
    paused: bool = False
    cycle: int = 0
    # Drift samples per asset, oldest first, trimmed to the velocity window. Kept here so a
    # restart or continue-as-new does not forget them (the seed's drift-history bug).
    history: dict[str, tuple[Dec, ...]] = Field(default_factory=dict)
    volatility: dict[str, PosDec] = Field(default_factory=dict)
    last_mids: dict[str, PosDec] = Field(default_factory=dict)
    last_mids_at: AwareDatetime | None = None
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
