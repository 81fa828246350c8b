"""The latency benchmark's step breakdown: which spans make a placement's path."""

from __future__ import annotations

from pathlib import Path

from benchmarks.latency import path_steps

ACTIVATION = "_WorkflowWorker._handle_activation"
ACTIVITY = "_ActivityWorker._execute_activity"


def write(folder: Path, spans: list[tuple[float, float, str, str]]) -> None:
    folder.mkdir()
    lines = [f"{start / 1000:.6f} {end / 1000:.6f} {name} {tag}" for start, end, name, tag in spans]
    (folder / "1.txt").write_text("\n".join(lines) + "\n")


def cycle(t: float, detect_ms: float) -> list[tuple[float, float, str, str]]:
    """One path starting at ``t`` ms: update, detect, decide, assess, schedule, place."""
    return [
        (t, t + 4, ACTIVATION, "do_update"),
        (t + 4, t + 4 + detect_ms, ACTIVITY, "detect_drift"),
        (t + 5, t + 7, "CcxtGateway.balances", ""),
        (t + 10, t + 15, ACTIVATION, "resolve_activity"),
        (t + 15, t + 18, ACTIVITY, "assess_liquidity"),
        (t + 18, t + 30, ACTIVATION, "resolve_activity"),
        (t + 20, t + 29, "Worker.complete_workflow_activation", ""),
        (t + 30, t + 36, ACTIVITY, "place_limit_order"),
    ]


def test_each_step_is_the_median_over_whole_paths(tmp_path: Path) -> None:
    write(tmp_path / "w", [*cycle(0, 5), *cycle(1000, 3), *cycle(2000, 4)])
    steps = path_steps(tmp_path / "w", "place_limit_order")
    assert steps["samples"] == 3
    assert steps["update_activation"] == 4
    assert steps["detect"] == 4
    assert steps["after_detect_activation"] == 5
    assert steps["assess"] == 3
    assert steps["after_assess_activation"] == 12
    assert steps["after_assess_completion"] == 9
    assert steps["place"] == 6
    assert steps["update_to_place_start"] == 30
    assert steps["CcxtGateway.balances"] == 2


def test_a_path_interleaved_with_another_accounts_work_is_left_out(tmp_path: Path) -> None:
    interleaved = cycle(1000, 3)
    # Another account's activation lands between this path's update and its placement.
    interleaved.insert(3, (1008, 1009, ACTIVATION, "fire_timer"))
    write(tmp_path / "w", [*cycle(0, 5), *interleaved])
    steps = path_steps(tmp_path / "w", "place_limit_order")
    assert steps["samples"] == 1
    assert steps["detect"] == 5


def test_no_whole_path_gives_no_medians(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    assert path_steps(tmp_path / "w", "place_limit_order") == {"samples": 0}
