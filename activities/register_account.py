"""register-account: the ledger learns the account, its first targets and its starting
balances (the baseline that ledger-vs-venue checks recompute from)."""

from __future__ import annotations

from temporalio import activity

from activities.deps import Step
from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.market import symbol_for
from rebalancer.ledger.records import AccountRecord, BalanceRow, BalanceSnapshot, TargetVersion
from rebalancer.pipeline.messages import RegisterRequest


class RegisterAccount(Step):
    @activity.defn(name="register_account")
    async def run(self, request: RegisterRequest) -> None:
        config = request.config
        gateway = await self.deps.gateway(config.ref())
        markets = await gateway.markets()
        for asset in config.targets:
            symbol = symbol_for(asset, config.quote)
            if asset != config.quote and symbol not in markets:
                raise InvalidInput(f"targets.{asset}", f"{config.venue} has no market {symbol}")
        await self.deps.ledger.ensure_account(
            AccountRecord(
                account_id=config.account_id,
                venue=config.venue,
                quote=config.quote,
                created_at=request.registered_at,
            )
        )
        await self.deps.ledger.record_target_version(
            TargetVersion(
                account_id=config.account_id,
                effective_at=request.registered_at,
                weights=dict(config.targets),
                source="register",
            )
        )
        balances = await gateway.balances()
        # Keyed by the registration time, so a retried activity writes the same row once.
        await self.deps.ledger.record_balances(
            BalanceSnapshot(
                account_id=config.account_id,
                taken_at=request.registered_at,
                source="initial",
                balances={
                    asset: BalanceRow(free=b.free, locked=b.locked) for asset, b in balances.items()
                },
            )
        )
