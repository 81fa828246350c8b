"""Paper accounts: free and locked balances per asset, and fee rates.

Open orders lock what they could spend: a buy locks quote at its limit price, a sell locks
base. A fill spends from the lock and credits the other asset less the fee, which Binance
takes from what the trade delivers (base on a buy, quote on a sell).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_UP, Decimal

from rebalancer.paper.orders import Fill, OrderRejected, PaperOrder
from rebalancer.venue.models import Balance

# Binance books commissions with eight decimals; rounding up never under-charges.
FEE_QUANTUM = Decimal("0.00000001")


def fee_for(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(FEE_QUANTUM, rounding=ROUND_UP)


@dataclass
class Holding:
    free: Decimal = Decimal(0)
    locked: Decimal = Decimal(0)


@dataclass
class Account:
    account_id: str
    maker_fee: Decimal = Decimal("0.001")
    taker_fee: Decimal = Decimal("0.001")
    holdings: dict[str, Holding] = field(default_factory=dict)

    @classmethod
    def with_balances(
        cls,
        account_id: str,
        balances: Mapping[str, Decimal],
        *,
        maker_fee: Decimal = Decimal("0.001"),
        taker_fee: Decimal = Decimal("0.001"),
    ) -> Account:
        account = cls(account_id, maker_fee, taker_fee)
        for asset, amount in balances.items():
            if amount < 0:
                raise ValueError(f"balance of {asset} must not be negative")
            account.holding(asset).free += amount
        return account

    def holding(self, asset: str) -> Holding:
        found = self.holdings.get(asset)
        if found is None:
            found = self.holdings[asset] = Holding()
        return found

    def free(self, asset: str) -> Decimal:
        return self.holding(asset).free

    def locked(self, asset: str) -> Decimal:
        return self.holding(asset).locked

    def deposit(self, asset: str, amount: Decimal) -> None:
        if amount < 0:
            raise ValueError("deposit amount must not be negative")
        self.holding(asset).free += amount

    def lock(self, order: PaperOrder, asset: str, amount: Decimal) -> None:
        holding = self.holding(asset)
        if holding.free < amount:
            raise OrderRejected(
                "insufficient_balance", "Account has insufficient balance for requested action."
            )
        holding.free -= amount
        holding.locked += amount
        order.locked += amount
        order.locked_asset = asset

    def release(self, order: PaperOrder) -> None:
        """Return whatever the order still locks (it finished, was canceled or expired)."""
        if order.locked > 0:
            holding = self.holding(order.locked_asset)
            holding.locked -= order.locked
            holding.free += order.locked
            order.locked = Decimal(0)

    def settle(self, order: PaperOrder, fill: Fill, base: str, quote: str) -> None:
        """Move funds for one fill of ``order``; the fee is already on ``fill``."""
        notional = fill.price * fill.quantity
        if fill.side == "buy":
            # A limit buy locked at its limit price; a better fill price frees the difference.
            reserved = (order.price if order.type != "market" else None) or fill.price
            spent = reserved * fill.quantity
            self._spend_locked(order, quote, spent)
            self.holding(quote).free += spent - notional
            self.holding(base).free += fill.quantity - fill.fee
        else:
            self._spend_locked(order, base, fill.quantity)
            self.holding(quote).free += notional - fill.fee

    def _spend_locked(self, order: PaperOrder, asset: str, amount: Decimal) -> None:
        self.holding(asset).locked -= amount
        order.locked -= amount

    def balances(self) -> dict[str, Balance]:
        return {
            asset: Balance(asset=asset, free=h.free, locked=h.locked)
            for asset, h in sorted(self.holdings.items())
        }
