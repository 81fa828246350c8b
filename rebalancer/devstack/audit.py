"""Checks that trust nobody's word: the venue's own records against the ledger.

Used by the demo, the end-to-end tests and the chaos benchmark. Duplicates are counted from
the venue's list of every order it ever accepted; balances are recomputed from the ledger's
fills (from the initial snapshot on) and compared, exactly, with the venue's.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from pydantic import BaseModel

from rebalancer.ledger.store import LedgerStore
from rebalancer.paper.admin_client import PaperAdmin


class AccountAudit(BaseModel):
    account_id: str
    orders: int
    orders_filled: int
    duplicate_client_order_ids: int
    ledger_balances: dict[str, Decimal]
    venue_balances: dict[str, Decimal]
    mismatches: dict[str, Decimal]

    @property
    def ledger_matches_venue(self) -> bool:
        return not self.mismatches


async def audit_account(admin: PaperAdmin, store: LedgerStore, account_id: str) -> AccountAudit:
    orders = await admin.orders(account_id)
    counts = Counter(order["client_order_id"] for order in orders)
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    venue = {asset: b.total for asset, b in (await admin.balances(account_id)).items()}
    ledger = await store.balances_from_fills(account_id)
    mismatches = {
        asset: ledger.get(asset, Decimal(0)) - venue.get(asset, Decimal(0))
        for asset in sorted(set(venue) | set(ledger))
        if ledger.get(asset, Decimal(0)) != venue.get(asset, Decimal(0))
    }
    return AccountAudit(
        account_id=account_id,
        orders=len(orders),
        orders_filled=sum(1 for o in orders if Decimal(o["filled"]) > 0),
        duplicate_client_order_ids=duplicates,
        ledger_balances=ledger,
        venue_balances=venue,
        mismatches=mismatches,
    )
