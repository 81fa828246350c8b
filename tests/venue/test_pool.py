"""The gateway pool: one gateway per account, reused, bounded with least-recently-used out."""

from __future__ import annotations

import asyncio
from typing import Any

from rebalancer.venue.pool import GatewayPool


class Recorder:
    def __init__(self, account_id: str, venue: str) -> None:
        self.account_id = account_id
        self._venue = venue
        self.closed = False

    @property
    def venue(self) -> str:
        return self._venue

    async def close(self) -> None:
        self.closed = True


async def test_reused_bounded_and_closed() -> None:
    made: list[Recorder] = []

    def factory(account_id: str, venue: str) -> Any:
        made.append(Recorder(account_id, venue))
        return made[-1]

    pool = GatewayPool(factory, max_open=2)
    first = await pool.get("x", "paper")
    moved = await pool.get("x", "binance")
    assert moved is not first
    assert first.closed, "a gateway replaced for another venue is closed at once"
    await pool.close()

    made.clear()
    pool = GatewayPool(factory, max_open=2)
    a = await pool.get("a", "paper")
    assert await pool.get("a", "paper") is a
    await pool.get("b", "paper")
    await pool.get("a", "paper")  # a is now the most recently used
    await pool.get("c", "paper")  # so b is evicted
    assert pool.open == 2
    assert [g.account_id for g in made] == ["a", "b", "c"]
    again = await pool.get("b", "paper")
    assert again is not made[1], "an evicted gateway is reopened, not reused"
    assert not made[1].closed, "an evicted gateway gets a grace period for calls in flight"
    await pool.close()
    assert all(g.closed for g in made if g is not made[1])
    await asyncio.sleep(0)
