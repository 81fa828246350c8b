"""The cost-aware policy: from a snapshot to the orders worth placing now, and why.

This is the one place the trading rule lives. The workflow calls it every check and the
backtest calls it every simulated check; neither has a rule of its own.

Per asset (the quote currency is the other side of every leg):
1. inside the no-trade band: skip;
2. size the leg to target, or to the band edge;
3. below the minimum order: skip;
4. no order book: queue (cost cannot be predicted);
5. cost gate: trade only when the fall in the cost of inaction exceeds the predicted
   execution cost;
6. never more than the free balance (sells first; buys spend free cash and sell proceeds,
   the legs with the most benefit per unit of cost first);
7. liquidity: execute whole, slice to what the book absorbs, or queue.

An instruction (a target the operator set and the account has not reached yet, or an asset
held without a target) skips 1 and 5 and sizes to the target: the operator asked for it.
Target 0 sells the whole holding; what the venue's minimum order leaves is reported as dust.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

from rebalancer.domain.bands import band_of
from rebalancer.domain.costs import CostEstimate, estimate_cost, worst_fee_rate
from rebalancer.domain.drift import AssetDrift, DriftReport, compute_drift, row_of
from rebalancer.domain.inaction import cost_of_inaction, inaction_reduction
from rebalancer.domain.joint_step import joint_step
from rebalancer.domain.liquidity import Verdict, assess_liquidity, minimum_notional
from rebalancer.domain.market import Frozen, Side
from rebalancer.domain.numbers import ONE, ZERO, Dec, div, exact, floor_to_step, plain, to_places
from rebalancer.domain.orders import PlannedOrder, limit_price
from rebalancer.domain.placement import afford
from rebalancer.domain.snapshot import Snapshot, known_pairs


class AssetDecision(Frozen):
    asset: str
    symbol: str | None
    weight: Dec
    target: Dec
    drift: Dec
    velocity: Dec
    volatility: Dec | None
    cost_of_inaction: Dec
    side: Side | None = None
    # Quantity that would bring the asset to its target (or band edge), before any cap.
    desired_quantity: Dec = ZERO
    # Fall in the cost of inaction if the desired trade were done.
    benefit: Dec = ZERO
    predicted_cost: CostEstimate | None = None
    verdict: Verdict
    reason: str
    order: PlannedOrder | None = None
    # Nothing of this leg is worth an order: the asset is at its goal (inside the band, or
    # within one minimum order of it). An instruction on it is carried out.
    reached: bool = False
    # Traded under an operator's instruction (past band and cost gate).
    instructed: bool = False


class Plan(Frozen):
    quote: str
    equity: Dec
    assets: tuple[AssetDecision, ...]
    # Execution order: every sell before any buy.
    orders: tuple[PlannedOrder, ...]
    history: dict[str, tuple[Dec, ...]]

    def of(self, asset: str) -> AssetDecision:
        return row_of(self.assets, asset)


def assets_needing_books(snapshot: Snapshot, report: DriftReport) -> list[str]:
    """Assets whose leg ``decide`` takes past the band (drift beyond it, or an instruction);
    it never reads another asset's book, so a snapshot may carry only these (detection and
    the backtest rely on it)."""
    return [asset for asset, leg in leg_goals(snapshot, report).items() if leg.goal is not None]


class LegGoal(NamedTuple):
    """The drift a leg trades to (0: its target), or None and why it stays put."""

    goal: Decimal | None
    why: str = ""


@exact
def leg_goals(snapshot: Snapshot, report: DriftReport) -> dict[str, LegGoal]:
    """Each leg's goal: inside its band (or the joint no-trade region) it stays put; an
    instruction trades to target; otherwise to target or to the band's edge, by sizing."""
    policy = snapshot.policy
    instructions = snapshot.instructions()
    legs = [row for row in report.assets if row.asset != snapshot.quote]
    free = [row for row in legs if row.asset not in instructions]
    moves: dict[str, Decimal] = {}
    if policy.sizing == "joint":
        moves = joint_step(
            {row.asset: row.drift for row in free},
            report.of(snapshot.quote).drift,
            {row.asset: band_of(snapshot, row.asset) for row in free},
            fixed={row.asset: -row.drift for row in legs if row.asset in instructions},
        )
    goals: dict[str, LegGoal] = {}
    for row in legs:
        if row.asset in instructions:
            goals[row.asset] = LegGoal(ZERO)
        elif policy.sizing == "joint":
            move = moves[row.asset]
            goals[row.asset] = (
                LegGoal(row.drift + move)
                if move != 0
                else LegGoal(None, "inside the joint no-trade region (cash included)")
            )
        elif abs(row.drift) <= (band := band_of(snapshot, row.asset)):
            shown = band if policy.band_rule == "fixed" else to_places(band, 6)
            goals[row.asset] = LegGoal(None, f"inside the no-trade band of {plain(shown)}")
        elif policy.sizing == "target":
            goals[row.asset] = LegGoal(ZERO)
        else:
            goals[row.asset] = LegGoal(band if row.drift > 0 else -band)
    return goals


def books_to_carry(
    snapshot: Snapshot,
    instructed: frozenset[str],
    volatility: Mapping[str, Decimal],
    correlation: Mapping[str, Mapping[str, Decimal]],
) -> tuple[list[str], DriftReport]:
    """What a look at the account must carry books for, on a snapshot without them:
    ``assets_needing_books`` with the account's pending ``instructed`` assets and its
    ``volatility`` and ``correlation`` estimates (the decision's bands depend on them), and
    the drift report that decided it (without a new sample: the look is not the check's
    sample)."""
    known = set(snapshot.asset_order())
    marked = snapshot.model_copy(
        update={
            "instructed": instructed & (known - {snapshot.quote}),
            "volatility": {a: v for a, v in volatility.items() if a in known},
            "correlation": known_pairs(correlation, known),
        }
    )
    report = compute_drift(marked, sample=False)
    return assets_needing_books(marked, report), report


def _drift_after(row: AssetDrift, side: Side, quantity: Decimal, equity: Decimal) -> Decimal:
    moved = div(quantity * row.price, equity)
    return row.drift - moved if side == "sell" else row.drift + moved


def _worth_it(
    snapshot: Snapshot, row: AssetDrift, side: Side, cost: CostEstimate, equity: Decimal
) -> tuple[bool, Decimal]:
    """Whether the cost gate lets the leg trade, and the fall in the cost of inaction."""
    # Benefit and cost are both of the whole leg (``cost.requested``). A walk the book cannot
    # finish is priced on what it absorbs, scaled to the whole: a lower bound on the cost.
    after = _drift_after(row, side, cost.requested, equity)
    benefit = inaction_reduction(
        row.drift, after, row.velocity, snapshot.volatility_of(row.asset), equity, snapshot.policy
    )
    if not snapshot.policy.cost_gate or row.asset in snapshot.instructions():
        return True, benefit
    if not cost.fully_absorbed and cost.filled > 0:
        scaled = div(cost.total * cost.requested, cost.filled)
        return benefit > scaled, benefit
    return benefit > cost.total, benefit


def _funding_order(decision: AssetDecision) -> tuple[bool, Decimal, str]:
    """Sort key for scarce cash: legs that cost nothing first (by benefit), then by benefit
    per unit of trading cost, highest first; the asset breaks ties."""
    cost = decision.predicted_cost.total if decision.predicted_cost is not None else ZERO
    if cost <= 0:
        return False, -decision.benefit, decision.asset
    return True, -div(decision.benefit, cost), decision.asset


@exact
def decide(snapshot: Snapshot, report: DriftReport | None = None) -> Plan:
    if report is None:
        report = compute_drift(snapshot)
    policy = snapshot.policy
    equity = report.equity
    quote = snapshot.quote
    decisions: dict[str, AssetDecision] = {}
    sells: list[PlannedOrder] = []
    buys: list[tuple[AssetDrift, Decimal]] = []

    goals = leg_goals(snapshot, report)
    for row in report.assets:
        if row.asset == quote:
            continue
        base = _base_decision(snapshot, row, equity)
        decided = _leg(snapshot, row, equity, base, goals[row.asset])
        if isinstance(decided, AssetDecision):
            decisions[row.asset] = decided
            continue
        side, quantity, cost, benefit = decided
        base = base.model_copy(
            update={
                "side": side,
                "desired_quantity": quantity,
                "benefit": benefit,
                "predicted_cost": cost,
                "instructed": row.asset in snapshot.instructions(),
            }
        )
        if side == "sell":
            decision = _finish_leg(
                snapshot, row, equity, side, quantity, snapshot.free(row.asset), base
            )
            decisions[row.asset] = decision
            if decision.order is not None:
                sells.append(decision.order)
        else:
            decisions[row.asset] = base
            buys.append((row, quantity))

    # Scarce cash goes first where it buys the most benefit per unit of trading cost.
    buys.sort(key=lambda leg: _funding_order(decisions[leg[0].asset]))
    # Buys spend free cash plus what the sells bring in, net of fees, minus a fee buffer.
    proceeds = sum(
        (o.amount * o.price * (ONE - worst_fee_rate(snapshot.rules(o.asset))) for o in sells), ZERO
    )
    cash = snapshot.free(quote) * (ONE - policy.fee_buffer) + proceeds
    bought: list[PlannedOrder] = []
    for row, quantity in buys:
        rules = snapshot.rules(row.asset)
        fee = ONE + worst_fee_rate(rules)
        budget = ONE + div(policy.slippage_budget_bps, Decimal(10_000))
        affordable = div(cash, row.price * budget * fee)
        decision = _finish_leg(
            snapshot, row, equity, "buy", quantity, affordable, decisions[row.asset]
        )
        order = decision.order
        book = snapshot.book(row.asset)
        if order is not None and book is not None:
            # The walk may reach past mid plus the budget: shrink to what the cash pays for.
            paid = afford(order, cash, rules, policy, book)
            if paid is None:
                decision = decision.model_copy(
                    update={
                        "verdict": "skip",
                        "order": None,
                        "reason": f"not enough free {quote} (after sells) at the limit price",
                    }
                )
            elif paid is not order:
                capped = "capped by free balance"
                reason = (
                    decision.reason if capped in decision.reason else f"{decision.reason}; {capped}"
                )
                decision = decision.model_copy(update={"order": paid, "reason": reason})
        decisions[row.asset] = decision
        if decision.order is not None:
            bought.append(decision.order)
            cash -= decision.order.notional * fee

    decisions[quote] = _skip(
        report.of(quote), None, None, ZERO, "quote currency: the other side of every leg"
    )
    return Plan(
        quote=quote,
        equity=equity,
        assets=tuple(decisions[a] for a in snapshot.asset_order()),
        orders=(*sells, *bought),
        history=report.history,
    )


def _base_decision(snapshot: Snapshot, row: AssetDrift, equity: Decimal) -> AssetDecision:
    volatility = snapshot.volatility_of(row.asset)
    inaction = cost_of_inaction(row.drift, row.velocity, volatility, equity, snapshot.policy)
    return _skip(row, snapshot.symbol(row.asset), volatility, inaction, "")


def _skip(
    row: AssetDrift,
    symbol: str | None,
    volatility: Decimal | None,
    inaction: Decimal,
    reason: str,
) -> AssetDecision:
    """A decision to leave ``row``'s asset alone, carrying its drift figures; the legs that
    trade are decided from it."""
    return AssetDecision(
        asset=row.asset,
        symbol=symbol,
        weight=row.weight,
        target=row.target,
        drift=row.drift,
        velocity=row.velocity,
        volatility=volatility,
        cost_of_inaction=inaction,
        verdict="skip",
        reason=reason,
    )


def _leg(
    snapshot: Snapshot,
    row: AssetDrift,
    equity: Decimal,
    base: AssetDecision,
    leg: LegGoal,
) -> AssetDecision | tuple[Side, Decimal, CostEstimate, Decimal]:
    """Steps 1-5: either a final decision, or the side, quantity, cost and benefit to trade.
    ``leg`` is the drift the leg trades to, or why it stays (``leg_goals``)."""
    policy = snapshot.policy
    rules = snapshot.rules(row.asset)
    instructed = row.asset in snapshot.instructions()
    minimum = minimum_notional(rules, policy)
    if row.target == 0 and row.quantity > 0 and row.quantity * row.price < minimum:
        return base.model_copy(
            update={
                "reason": f"dust: {plain(row.quantity)} {row.asset} is below the minimum order"
                f" of {plain(minimum)} {rules.quote}",
                "reached": True,
                "instructed": instructed,
            }
        )
    goal = leg.goal
    if goal is None:
        return base.model_copy(update={"reason": leg.why, "reached": True})
    if row.drift == goal:
        return base.model_copy(update={"reason": "on target", "reached": True})
    side: Side = "sell" if row.drift > goal else "buy"
    quantity = floor_to_step(div(abs(row.drift - goal) * equity, row.price), rules.step_size)
    if instructed and side == "sell" and row.target == 0:
        # Sell it all: sized from the holding, not from a weight rounded through the mid.
        quantity = floor_to_step(row.quantity, rules.step_size)
    if quantity * row.price < minimum or quantity < rules.min_qty:
        return base.model_copy(
            update={
                "side": side,
                "desired_quantity": quantity,
                "reason": f"below the minimum order of {plain(minimum)} {rules.quote}",
                "reached": True,
                "instructed": instructed,
            }
        )
    book = snapshot.book(row.asset)
    if book is None or book.mid is None:
        return base.model_copy(
            update={
                "side": side,
                "desired_quantity": quantity,
                "verdict": "queue",
                "reason": "no two-sided order book: cost cannot be predicted yet",
            }
        )
    cost = estimate_cost(book, side, quantity, rules, "marketable")
    worth, benefit = _worth_it(snapshot, row, side, cost, equity)
    if not worth:
        return base.model_copy(
            update={
                "side": side,
                "desired_quantity": quantity,
                "benefit": benefit,
                "predicted_cost": cost,
                "reason": (
                    f"not worth it: trading costs {plain(to_places(cost.total, 2))}"
                    f" vs {plain(to_places(benefit, 2))} saved"
                ),
            }
        )
    return side, quantity, cost, benefit


def _finish_leg(
    snapshot: Snapshot,
    row: AssetDrift,
    equity: Decimal,
    side: Side,
    quantity: Decimal,
    available: Decimal,
    base: AssetDecision,
) -> AssetDecision:
    """Steps 6-7: cap by free balance, then let the book decide how much goes now."""
    policy = snapshot.policy
    rules = snapshot.rules(row.asset)
    capped = floor_to_step(min(quantity, max(available, ZERO)), rules.step_size)
    if capped * row.price < minimum_notional(rules, policy) or capped < rules.min_qty:
        what = f"free {row.asset}" if side == "sell" else f"free {snapshot.quote} (after sells)"
        return base.model_copy(
            update={"verdict": "skip", "reason": f"not enough {what} for the minimum order"}
        )
    book = snapshot.book(row.asset)
    assessment = assess_liquidity(book, side, capped, rules, policy)
    if assessment.verdict == "queue" or book is None:
        return base.model_copy(update={"verdict": "queue", "reason": assessment.reason})
    assert assessment.cost is not None
    if assessment.verdict == "slice":
        worth, _ = _worth_it(snapshot, row, side, assessment.cost, equity)
        if not worth:
            return base.model_copy(
                update={
                    "verdict": "queue",
                    "reason": "the slice the book absorbs does not pay for itself; wait for depth",
                }
            )
    reason = (
        assessment.reason if capped == quantity else f"{assessment.reason}; capped by free balance"
    )
    price = limit_price(
        book, side, rules, policy.execution_style, assessment.cost, policy.slippage_budget_bps
    )
    order = PlannedOrder(
        asset=row.asset,
        symbol=rules.symbol,
        side=side,
        amount=assessment.quantity,
        price=price,
        style=policy.execution_style,
        predicted_cost=assessment.cost,
    )
    return base.model_copy(update={"verdict": assessment.verdict, "reason": reason, "order": order})
