"""The seams of one trading cycle, each found leaving a portfolio off target quietly.

Every test here failed on the code before the cycle was written once (issue "One trading
cycle"); the number in each name is the seam's number there. They drive the shared cycle
(``TradingCycle``) through the workflow's own activity functions on an in-memory venue.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from temporalio.exceptions import ActivityError, ApplicationError, RetryState

from rebalancer.cycle.port import Refusal
from rebalancer.cycle.trading_cycle import CycleMemory, CycleProgress, Mandate, TradingCycle
from rebalancer.domain.decide import decide
from rebalancer.domain.drift import compute_drift
from rebalancer.domain.market import OrderBook
from rebalancer.domain.placement import plan_order
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.snapshot import Snapshot
from rebalancer.domain.tracking import Tracking, retarget
from rebalancer.venue.models import LimitOrder, VenueOrder
from tests.cycle.in_process_port import InProcessPort
from tests.workflows.memory_venue import FEE, MemoryVenue
from tests.workflows.scenario import RULES, book
from workflows.activity_port import refusal

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-snapshot.json"


def _policy(**changes: object) -> PolicySettings:
    return PolicySettings.model_validate(
        {
            "execution_style": "marketable",
            "sizing": "target",
            "band": "0.01",
            "cost_gate": False,
            "max_depth_fraction": "1",
            **changes,
        }
    )


async def _cycle(
    port: InProcessPort,
    targets: Mapping[str, str],
    policy: PolicySettings,
    *,
    number: int = 1,
    tracking: Tracking | None = None,
) -> CycleProgress:
    mandate = Mandate(
        account_id="acct",
        quote="USDT",
        targets={a: Decimal(w) for a, w in targets.items()},
        policy=policy,
    )
    memory = CycleMemory(
        cycle=number - 1, tracking=tracking or Tracking(), needs_reconcile=number == 1
    )
    cycle = TradingCycle(port, mandate, memory, "timer")
    await cycle.run()
    return cycle.finish()


def _venue(
    balances: Mapping[str, str], books: Mapping[str, OrderBook] | None = None
) -> MemoryVenue:
    return MemoryVenue(
        dict(RULES),
        dict(books or {s: book(s, Decimal("1000")) for s in RULES}),
        {a: Decimal(q) for a, q in balances.items()},
    )


# 1 -------------------------------------------------------------------------------------

THIN_ASKS = OrderBook.from_pairs(
    [(Decimal("99.99"), Decimal("500"))],
    [(Decimal("100.01"), Decimal("50")), (Decimal("101.5"), Decimal("500"))],
)


def test_1_a_repriced_buy_is_capped_by_the_cash_at_the_price_sent() -> None:
    rules = RULES["ETH/USDT"]
    policy = _policy(slippage_budget_bps="50")
    # The plan's 74.2 ETH re-priced marketable walks to 101.50: 7,538.83 > 7,500 free.
    _, uncapped = plan_order("ETH", THIN_ASKS, "buy", Decimal("74.2"), rules, policy)
    assert uncapped is not None
    assert uncapped.notional > Decimal("7500")
    _, capped = plan_order(
        "ETH", THIN_ASKS, "buy", Decimal("74.2"), rules, policy, cash=Decimal("7500")
    )
    assert capped is not None
    assert capped.price == Decimal("101.50")
    assert capped.notional * (1 + rules.taker_fee) <= Decimal("7500")
    assessment, none = plan_order(
        "ETH", THIN_ASKS, "buy", Decimal("74.2"), rules, policy, cash=Decimal("3")
    )
    assert none is None
    assert assessment.verdict == "queue"
    assert "not enough free USDT" in assessment.reason


async def test_1_a_passive_buy_that_times_out_is_repriced_within_the_free_cash() -> None:
    books = {"ETH/USDT": THIN_ASKS, "BTC/USDT": book("BTC/USDT", Decimal("10"))}
    venue = _venue({"USDT": "7500", "ETH": "0", "BTC": "0"}, books)
    port = InProcessPort(venue)
    policy = _policy(execution_style="passive", slippage_budget_bps="50")
    targets = {"ETH": "0.9893", "BTC": "0", "USDT": "0.0107"}
    progress = await _cycle(port, targets, policy)
    placed = [venue.orders[c] for c in venue.placements]
    assert [o.price for o in placed] == [Decimal("99.99"), Decimal("101.50")]
    assert port.refusals == [], "the venue refused an order the account could not pay for"
    repriced = placed[1]
    assert repriced.amount * repriced.price * (1 + FEE) <= Decimal("7500")
    assert repriced.amount < placed[0].amount
    assert progress.orders_filled == 1


# 2 -------------------------------------------------------------------------------------


def _seed(**changes: object) -> dict[str, object]:
    data: dict[str, object] = json.loads(SEED.read_text())
    data.update(changes)
    return data


def test_2_a_target_change_is_not_read_as_drift_velocity() -> None:
    before = Snapshot.model_validate(_seed())
    report = compute_drift(before)
    history = {a: (report.of(a).drift, report.of(a).drift) for a in ("BTC", "ETH")}
    new_targets = {"BTC": Decimal("0.45"), "ETH": Decimal("0.35"), "USDT": Decimal("0.20")}
    after = _seed(targets={k: str(v) for k, v in new_targets.items()})
    # The old way: the history against the old targets makes the change a trend.
    stale = compute_drift(Snapshot.model_validate({**after, "history": history}))
    assert stale.of("BTC").velocity != 0
    tracking = retarget(Tracking(history=history), before.targets, new_targets, "USDT")
    rebased = compute_drift(Snapshot.model_validate({**after, "history": dict(tracking.history)}))
    assert rebased.of("BTC").velocity == 0
    assert rebased.of("ETH").velocity == 0
    assert tracking.instructed == {"BTC"}


# 3 -------------------------------------------------------------------------------------


def test_3_target_0_sells_it_all_not_down_to_the_band() -> None:
    targets = {"BTC": "0", "ETH": "0.35", "USDT": "0.65"}
    policy = {"band": "0.0272", "sizing": "band_edge"}
    banded = decide(Snapshot.model_validate(_seed(targets=targets, policy=policy)))
    # Without the instruction the band governs: 1.42267 of 1.5 BTC.
    assert banded.of("BTC").desired_quantity < Decimal("1.5")
    instructed = decide(
        Snapshot.model_validate(_seed(targets=targets, policy=policy, instructed=["BTC"]))
    )
    assert instructed.of("BTC").desired_quantity == Decimal("1.5")
    assert instructed.of("BTC").instructed


def test_3_a_new_target_inside_the_band_is_bought() -> None:
    targets = {"BTC": "0.40", "ETH": "0.33", "LINK": "0.02", "USDT": "0.25"}
    # One fixed band for every asset, so LINK's 2% shortfall is inside its 2.72%.
    policy = {"band": "0.0272", "band_rule": "fixed", "sizing": "band_edge"}
    data = _seed(targets=targets, policy=policy)
    data["prices"] = {**data["prices"], "LINK/USDT": {"bid": "14.99", "ask": "15.01"}}  # type: ignore[dict-item]
    data["markets"] = {  # type: ignore[index]
        **data["markets"],  # type: ignore[dict-item]
        "LINK/USDT": {"tick_size": "0.01", "step_size": "0.01", "min_notional": "5"},
    }
    data["books"] = {  # type: ignore[index]
        **data["books"],  # type: ignore[dict-item]
        "LINK/USDT": {"bids": [["14.99", "100000"]], "asks": [["15.01", "100000"]]},
    }
    assert decide(Snapshot.model_validate(data)).of("LINK").order is None
    plan = decide(Snapshot.model_validate({**data, "instructed": ["LINK"]}))
    order = plan.of("LINK").order
    assert order is not None
    assert order.side == "buy"


async def test_3_target_0_sells_all_but_dust_and_the_instruction_ends() -> None:
    venue = _venue({"USDT": "1000", "BTC": "1.500004", "ETH": "10"})
    port = InProcessPort(venue)
    policy = _policy(band="0.0272", sizing="band_edge")
    old = {"BTC": Decimal("0.4"), "ETH": Decimal("0.35"), "USDT": Decimal("0.25")}
    new = {"BTC": "0", "ETH": "0.35", "USDT": "0.65"}
    tracking = retarget(Tracking(), old, {a: Decimal(w) for a, w in new.items()}, "USDT")
    first = await _cycle(port, new, policy, tracking=tracking)
    sold = [venue.orders[c] for c in venue.placements if "-BTC-" in c]
    assert sum(o.filled for o in sold) == Decimal("1.50000")
    assert "BTC" in first.tracking.instructed or first.done >= {"BTC"}
    second = await _cycle(port, new, policy, number=2, tracking=first.tracking)
    assert second.plan is not None
    row = second.plan.of("BTC")
    assert row.reason.startswith("dust: 0.000004 BTC"), row.reason
    assert "BTC" not in second.tracking.instructed


# 4 -------------------------------------------------------------------------------------


async def test_4_an_asset_held_without_a_target_is_counted_and_sold() -> None:
    venue = _venue({"USDT": "10000", "BTC": "0.1", "ETH": "3"})
    port = InProcessPort(venue)
    progress = await _cycle(port, {"BTC": "0.5", "USDT": "0.5"}, _policy())
    assert progress.report is not None
    # Equity counts the ETH: 10,000 + 6,400 + 10,200.
    assert progress.report.equity == Decimal("26600.00")
    eth = [venue.orders[c] for c in venue.placements if "-ETH-" in c]
    assert [o.side for o in eth] == ["sell"]
    assert venue.free["ETH"] == 0


def test_4_plan_and_the_workflow_apply_the_same_rule() -> None:
    data = _seed(targets={"BTC": "0.6", "USDT": "0.4"})
    plan = decide(Snapshot.model_validate(data))
    eth = plan.of("ETH")
    assert eth.target == 0
    assert eth.order is not None
    assert eth.order.side == "sell"
    # All of it, in slices the book absorbs (the seed's 1% of top-10 depth).
    assert eth.desired_quantity == Decimal("25.0")
    assert eth.verdict == "slice"


# 5 -------------------------------------------------------------------------------------


async def test_5_one_check_records_one_drift_sample_even_when_it_looks_twice() -> None:
    venue = _venue({"USDT": "1000", "BTC": "0", "ETH": "10"})
    port = InProcessPort(venue)
    progress = await _cycle(port, {"BTC": "0.5", "ETH": "0.2", "USDT": "0.3"}, _policy())
    assert len(port.looks) == 2, "sells then a second look for the buys"
    assert {len(h) for h in progress.tracking.history.values()} == {1}


# 6 -------------------------------------------------------------------------------------


def test_6_scarce_cash_goes_where_it_buys_the_most_benefit_per_cost() -> None:
    targets = {"BTC": "0.3", "ETH": "0.6", "USDT": "0.1"}
    data = _seed(
        targets=targets,
        positions=[
            {"asset": "BTC", "quantity": "0.15625"},  # 10% of 100k at 64,000
            {"asset": "ETH", "quantity": "0"},
            {"asset": "SOL", "quantity": "500"},  # 70k, unsellable now (no book)
            {"asset": "USDT", "quantity": "20000"},
        ],
        prices={
            "BTC/USDT": {"bid": "63999", "ask": "64001"},
            "ETH/USDT": {"bid": "3399", "ask": "3401"},
            "SOL/USDT": {"bid": "139.9", "ask": "140.1"},
        },
        markets={
            "BTC/USDT": {"tick_size": "0.01", "step_size": "0.00001", "min_notional": "5"},
            "ETH/USDT": {"tick_size": "0.01", "step_size": "0.0001", "min_notional": "5"},
            "SOL/USDT": {"tick_size": "0.01", "step_size": "0.01", "min_notional": "5"},
        },
        books={
            "BTC/USDT": {"bids": [["63999", "100"]], "asks": [["64001", "100"]]},
            "ETH/USDT": {"bids": [["3399", "1000"]], "asks": [["3401", "1000"]]},
        },
        policy={"max_depth_fraction": "1", "band": "0.01", "sizing": "target"},
    )
    plan = decide(Snapshot.model_validate(data))
    assert plan.of("SOL").verdict == "queue"
    eth, btc = plan.of("ETH").order, plan.of("BTC").order
    assert eth is not None
    spent_on_btc = btc.notional if btc is not None else Decimal(0)
    assert eth.notional > Decimal("19000") > spent_on_btc


# 7 -------------------------------------------------------------------------------------


async def test_7_a_one_sided_book_holds_that_leg_and_the_others_go_on() -> None:
    one_sided = OrderBook.from_pairs([], [(Decimal("3401"), Decimal("100"))])
    books = {"BTC/USDT": book("BTC/USDT", Decimal("10")), "ETH/USDT": one_sided}
    venue = _venue({"USDT": "100000", "BTC": "0", "ETH": "0"}, books)
    port = InProcessPort(venue)
    progress = await _cycle(port, {"BTC": "0.4", "ETH": "0.3", "USDT": "0.3"}, _policy())
    assert progress.holds["ETH"].reason.startswith("no two-sided order book")
    assert any("-BTC-" in c for c in venue.placements)
    assert not any("-ETH-" in c for c in venue.placements)
    later = await _cycle(
        port,
        {"BTC": "0.4", "ETH": "0.3", "USDT": "0.3"},
        _policy(),
        number=2,
        tracking=progress.tracking,
    )
    assert later.report is not None, "valued again from its one side"


# 8 -------------------------------------------------------------------------------------


def _activity_error(cause: ApplicationError) -> ActivityError:
    error = ActivityError(
        "activity failed",
        scheduled_event_id=1,
        started_event_id=2,
        identity="test",
        activity_type="place_limit_order",
        activity_id="1",
        retry_state=RetryState.NON_RETRYABLE_FAILURE,
    )
    error.__cause__ = cause
    return error


def test_8_final_is_what_the_activity_says_not_a_list_of_names() -> None:
    duplicate = ApplicationError("already open", type="DuplicateClientOrderId", non_retryable=True)
    assert refusal(_activity_error(duplicate)) == Refusal(
        reason="DuplicateClientOrderId: already open"
    )
    venue_final = ApplicationError("rejected", type="FinalVenueError", non_retryable=True)
    assert refusal(_activity_error(venue_final)) is not None
    # A retryable error is not final, whatever its name.
    named = ApplicationError("try later", type="CredentialsNotFound")
    assert refusal(_activity_error(named)) is None


async def test_8_a_refused_order_holds_its_leg_with_the_reason() -> None:
    venue = _venue({"USDT": "100000", "BTC": "0", "ETH": "0"})
    port = InProcessPort(venue)
    venue.free["USDT"] = Decimal("100000")
    original = venue.place_limit_order

    async def refuse_eth(order: LimitOrder) -> VenueOrder:
        if order.symbol == "ETH/USDT":
            from rebalancer.venue.errors import InvalidOrder

            raise InvalidOrder("LOT_SIZE")
        return await original(order)

    venue.place_limit_order = refuse_eth  # type: ignore[method-assign]
    progress = await _cycle(port, {"BTC": "0.4", "ETH": "0.3", "USDT": "0.3"}, _policy())
    side, reason, _ = progress.holds["ETH"]
    assert side == "buy"
    assert reason.startswith("refused by the venue: InvalidOrder: LOT_SIZE")
    assert progress.queued["ETH"].retry_at > port.now() - timedelta(seconds=1)
    assert any("-BTC-" in c for c in venue.placements)
