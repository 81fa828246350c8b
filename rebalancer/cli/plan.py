"""``rebalancer plan``: what the engine would do for a snapshot, and why."""

from __future__ import annotations

import argparse
import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rebalancer.cli.arguments import read_text_file
from rebalancer.domain.numbers import plain, to_places
from rebalancer.domain.snapshot_json import MAX_TEXT_CHARS, parse_snapshot

if TYPE_CHECKING:
    from rebalancer.domain.decide import AssetDecision, Plan
    from rebalancer.domain.orders import PlannedOrder


HELP = "show what the engine would do for a snapshot file, and why"
DESCRIPTION = "Read a JSON snapshot (docs/snapshot.md) and print the decision per asset."


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--snapshot", required=True, type=Path, help="snapshot JSON file")
    parser.add_argument("--json", action="store_true", help="last stdout line is one JSON object")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from rebalancer.domain.decide import decide

    text = read_text_file("--snapshot", args.snapshot, MAX_TEXT_CHARS)
    plan = decide(parse_snapshot(text))
    if args.json:
        print(json.dumps(plan_json(plan), separators=(",", ":")))
    else:
        render(plan)
    return 0


def order_json(order: PlannedOrder) -> dict[str, Any]:
    cost = order.predicted_cost
    return {
        "asset": order.asset,
        "symbol": order.symbol,
        "side": order.side,
        "amount": plain(order.amount),
        "price": plain(order.price),
        "notional": plain(order.notional),
        "style": order.style,
        "predicted_cost": plain(cost.total) if cost else None,
        "predicted_cost_bps": plain(cost.total_bps) if cost else None,
    }


def asset_json(row: AssetDecision) -> dict[str, Any]:
    cost = row.predicted_cost
    return {
        "asset": row.asset,
        "symbol": row.symbol,
        "weight": plain(row.weight),
        "target": plain(row.target),
        "drift": plain(row.drift),
        "velocity": plain(row.velocity),
        "volatility": plain(row.volatility) if row.volatility is not None else None,
        "cost_of_inaction": plain(row.cost_of_inaction),
        "side": row.side,
        "desired_quantity": plain(row.desired_quantity),
        "benefit": plain(row.benefit),
        "predicted_cost": plain(cost.total) if cost else None,
        "predicted_cost_bps": plain(cost.total_bps) if cost else None,
        "predicted_cost_breakdown": (
            {"fee": plain(cost.fee), "spread": plain(cost.spread), "impact": plain(cost.impact)}
            if cost
            else None
        ),
        "verdict": row.verdict,
        "reason": row.reason,
        "order": order_json(row.order) if row.order else None,
    }


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "quote": plan.quote,
        "equity": plain(plan.equity),
        "assets": [asset_json(row) for row in plan.assets],
        "orders": [order_json(order) for order in plan.orders],
        "history": {asset: [plain(s) for s in samples] for asset, samples in plan.history.items()},
    }


def _short(value: Any, places: int = 6) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return plain(to_places(value, places))
    return str(value)


def render(plan: Plan) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"Plan (equity {_short(plan.equity, 2)} {plan.quote})")
    for column in ("asset", "weight", "target", "drift", "velocity", "inaction", "cost", "verdict"):
        table.add_column(column, justify="left" if column in ("asset", "verdict") else "right")
    for row in plan.assets:
        cost = row.predicted_cost
        table.add_row(
            row.asset,
            _short(row.weight),
            _short(row.target),
            _short(row.drift),
            _short(row.velocity),
            _short(row.cost_of_inaction, 2),
            _short(cost.total, 2) if cost else "-",
            row.verdict,
        )
    console.print(table)
    for row in plan.assets:
        console.print(f"[bold]{row.asset}[/bold]: {row.reason}")
    if plan.orders:
        console.print("[bold]Orders, in execution order:[/bold]")
        for order in plan.orders:
            console.print(
                f"  {order.side} {plain(order.amount)} {order.symbol} @ {plain(order.price)}"
                f" ({order.style}, notional {_short(order.notional, 2)})"
            )
    else:
        console.print("No orders: nothing is worth trading now.")
