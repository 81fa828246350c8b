"""Our metrics: the instruments activities record into, with no I/O of their own.

They live in a prometheus_client registry (the SDK's meter has no signed gauges, and drift
is signed); ``rebalancer.runtime.metrics_server`` serves it on the worker's /metrics endpoint, with
the Temporal SDK's metrics appended. Nothing here opens a socket, so the workflow code can
import the activities (for typed calls) without pulling in a web framework.

Label cardinality (docs/operations.md):
- ``account``: one value per account. Only ``rebalance_drift_gauge`` and
  ``rebalance_legs_held`` carry it; the worker folds every account into ``account="*"`` for
  very large fleets when REBALANCER_METRICS_ACCOUNT_LABELS is false (``label_accounts``).
- ``asset`` and ``symbol``: the instruments traded (a handful per venue).
- ``venue``: configured venues. ``kind``: error class names (a fixed set). ``outcome``:
  filled, partial, unfilled.

Values are floats here because Prometheus stores floats; no decision ever reads them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.1, 0.2, 0.4, 1.0, 2.0, 5.0)
RATIO_BUCKETS = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 1.5, 2.0, 5.0)
COST_BUCKETS = (0.0, 1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 1000.0, 5000.0)

DRIFT = "rebalance_drift_gauge"
DRIFT_BAND = "rebalance_drift_band"
LATENCY = "execution_latency_seconds"
FIRST_FILL = "execution_first_fill_seconds"
ORDERS = "rebalance_orders"
FILLS = "rebalance_order_fills"
SLIPPAGE = "slippage_budget_utilization"
PREDICTED = "rebalance_predicted_cost"
REALISED = "rebalance_realised_cost"
LEGS_HELD = "rebalance_legs_held"
ERRORS = "rebalance_errors"

REGISTRY = CollectorRegistry()
_drift = Gauge(
    DRIFT, "Weight minus target, per account and asset", ["account", "asset"], registry=REGISTRY
)
_drift_band = Gauge(
    DRIFT_BAND,
    "The account's no-trade band: drift beyond it for long is an alert",
    ["account"],
    registry=REGISTRY,
)
_latency = Histogram(
    LATENCY,
    "Detect-drift start to order acknowledged by the venue, seconds",
    ["venue"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
_first_fill = Histogram(
    FIRST_FILL,
    "Detect-drift start to the first fill seen, seconds",
    ["venue"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
_orders = Counter(
    ORDERS, "Orders acknowledged by the venue", ["venue", "symbol"], registry=REGISTRY
)
_fills = Counter(
    FILLS,
    "Final order outcomes: filled, partial, unfilled",
    ["venue", "symbol", "outcome"],
    registry=REGISTRY,
)
_slippage = Histogram(
    SLIPPAGE,
    "Fill price against decision-time mid, as a fraction of the slippage budget",
    ["venue", "symbol"],
    buckets=RATIO_BUCKETS,
    registry=REGISTRY,
)
_predicted = Histogram(
    PREDICTED,
    "Predicted cost per trading cycle, quote currency",
    ["venue"],
    buckets=COST_BUCKETS,
    registry=REGISTRY,
)
_realised = Histogram(
    REALISED,
    "Realised cost per trading cycle (fees + slippage vs mid), quote currency",
    ["venue"],
    buckets=COST_BUCKETS,
    registry=REGISTRY,
)
_legs_held = Gauge(LEGS_HELD, "Legs waiting on durable timers", ["account"], registry=REGISTRY)
_errors = Counter(
    ERRORS, "Activity errors by kind and symbol", ["kind", "symbol"], registry=REGISTRY
)


_labels = {"account": True}


def label_accounts(enabled: bool) -> None:
    """Whether the per-account metrics carry the account's id (the worker's setting)."""
    _labels["account"] = enabled


def _account(account_id: str) -> str:
    return account_id if _labels["account"] else "*"


def drift(account_id: str, drifts: Mapping[str, Decimal], band: Decimal) -> None:
    for asset, value in drifts.items():
        _drift.labels(_account(account_id), asset).set(float(value))
    _drift_band.labels(_account(account_id)).set(float(band))


def order_acknowledged(venue: str, symbol: str, since_detect: timedelta | None) -> None:
    _orders.labels(venue, symbol).inc()
    if since_detect is not None:
        _latency.labels(venue).observe(since_detect.total_seconds())


def first_fill(venue: str, since_detect: timedelta) -> None:
    _first_fill.labels(venue).observe(since_detect.total_seconds())


def order_outcome(venue: str, symbol: str, amount: Decimal, filled: Decimal) -> None:
    outcome = "filled" if filled >= amount else "partial" if filled > 0 else "unfilled"
    _fills.labels(venue, symbol, outcome).inc()


def slippage_utilization(venue: str, symbol: str, ratio: Decimal) -> None:
    _slippage.labels(venue, symbol).observe(float(ratio))


def cycle_costs(venue: str, predicted: Decimal | None, realised: Decimal | None) -> None:
    if predicted is not None:
        _predicted.labels(venue).observe(float(predicted))
    if realised is not None:
        _realised.labels(venue).observe(float(realised))


def legs_held(account_id: str, count: int) -> None:
    _legs_held.labels(_account(account_id)).set(count)


def error(kind: str, symbol: str | None) -> None:
    _errors.labels(kind, symbol or "-").inc()


def elapsed_since(moment: datetime | None, now: datetime) -> timedelta | None:
    return None if moment is None else now - moment
