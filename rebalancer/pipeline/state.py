"""The account workflow's durable state, carried whole across continue-as-new."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field

from rebalancer.cycle.trading_cycle import CycleMemory
from rebalancer.domain.numbers import Dec
from rebalancer.pipeline.messages import AccountConfig, CycleSummary


class AccountState(BaseModel):
    config: AccountConfig
    registered: bool = False
    paused: bool = False
    # The cycle number, drift samples, volatility, pending instructions, held legs: durable,
    # so a restart or continue-as-new forgets none of them (the seed's drift-history bug).
    memory: CycleMemory = Field(default_factory=CycleMemory)
    last_drift: dict[str, Dec] = Field(default_factory=dict)
    next_check_at: AwareDatetime | None = None
    last_cycle: CycleSummary | None = None
    # A fixable problem stops trading, not the workflow: the cause, and how many retries in
    # a row have met it (the backoff of the next).
    attention: str | None = None
    attention_attempts: int = 0
    totals: dict[str, int] = Field(default_factory=dict)


class AccountWorkflowInput(BaseModel):
    config: AccountConfig
    state: AccountState | None = None
