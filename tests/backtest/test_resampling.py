"""Block-bootstrapped histories: same length and calendar, real days' shapes, joint draws."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from rebalancer.backtest.resampling import block_bootstrap
from rebalancer.paper.daily_bars import DailyBar


def bars(first: date, closes: list[str], spread: str = "0.02") -> list[DailyBar]:
    rows: list[DailyBar] = []
    previous = Decimal(closes[0])
    for offset, text in enumerate(closes):
        close = Decimal(text)
        low = min(previous, close) * (1 - Decimal(spread))
        high = max(previous, close) * (1 + Decimal(spread))
        rows.append(
            DailyBar(
                day=first + timedelta(days=offset), open=previous, high=high, low=low, close=close
            )
        )
        previous = close
    return rows


FIRST = date(2022, 1, 1)
HISTORY = {
    "BTC": bars(
        date(2021, 12, 20),
        [str(100 + i) for i in range(12)] + [str(112 + (i % 5) - 2) for i in range(40)],
    ),
    "ETH": bars(date(2021, 12, 20), [str(50 + i % 7) for i in range(52)]),
}
LAST = FIRST + timedelta(days=29)


def test_a_resample_keeps_the_calendar_and_the_history_before_it() -> None:
    made = block_bootstrap(HISTORY, FIRST, LAST, seed=1, resample=0, block_days=5)
    for name, rows in made.items():
        before = [b for b in HISTORY[name] if b.day < FIRST]
        assert rows[: len(before)] == before
        period = rows[len(before) :]
        assert [b.day for b in period] == [FIRST + timedelta(days=i) for i in range(30)]
        for bar in period:
            assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
        # Chained: each day opens where its source day opened relative to the previous close.
        assert period[0].open == next(b for b in HISTORY[name] if b.day == FIRST).open


def test_every_asset_replays_the_same_source_days_in_blocks() -> None:
    # Volume carries each source day's index, the same for both assets.
    tagged = {
        name: [b.model_copy(update={"volume": Decimal(i)}) for i, b in enumerate(rows)]
        for name, rows in HISTORY.items()
    }
    made = block_bootstrap(tagged, FIRST, LAST, seed=1, resample=3, block_days=5)
    btc = [b.volume for b in made["BTC"] if b.day >= FIRST]
    eth = [b.volume for b in made["ETH"] if b.day >= FIRST]
    assert btc == eth
    # Blocks of five consecutive source days.
    for block in range(0, 30, 5):
        run = btc[block : block + 5]
        assert run == [run[0] + k for k in range(5)]
    assert btc != sorted(btc)


def test_resamples_differ_and_repeat_for_their_seed() -> None:
    one = block_bootstrap(HISTORY, FIRST, LAST, seed=1, resample=0)
    again = block_bootstrap(HISTORY, FIRST, LAST, seed=1, resample=0)
    other = block_bootstrap(HISTORY, FIRST, LAST, seed=1, resample=1)
    assert one == again
    assert one != other
