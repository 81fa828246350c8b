"""Activity type names are the wire contract with recorded histories: each step's activity
is named as its module (activities/<name>.py), and the worker registers each step once."""

from __future__ import annotations

from temporalio import activity

from activities import STEPS

NAMES = [
    "assess_liquidity",
    "await_fill",
    "cancel_order",
    "detect_drift",
    "place_limit_order",
    "reconcile",
    "record_cycle",
    "register_account",
    "watch_venue",
]


def _name(fn: object) -> str:
    return activity._Definition.must_from_callable(fn).name  # type: ignore[arg-type]


def test_each_step_is_named_as_its_module() -> None:
    for step in STEPS:
        assert _name(step.run) == step.__module__.rsplit(".", 1)[-1]


def test_the_names_histories_record_are_all_registered_once() -> None:
    assert sorted(_name(step.run) for step in STEPS) == NAMES
