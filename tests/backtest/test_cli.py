"""``rebalancer backtest``: the --json contract, the report files, and refusals (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rebalancer.cli import main

SHORT = ["backtest", "--start", "2021-06-01", "--end", "2021-06-02", "--no-progress", "--jobs", "1"]
METRICS = {
    "total_cost",
    "fees",
    "slippage",
    "cost_bps_per_year",
    "trades",
    "fills",
    "traded_notional",
    "turnover",
    "tracking_error_rms_weight",
    "tracking_error_annualised",
    "tracking_error_daily_benchmark",
    "max_drift",
    "final_value_vs_target",
    "final_value_vs_daily_target",
    "final_equity",
    "average_equity",
}


def test_json_last_line_has_every_policy_and_metric(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*SHORT, "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    document = json.loads(out[-1])
    assert list(document["policies"]) == [
        "calendar",
        "threshold",
        "band_edge",
        "seed",
        "cost_aware",
    ]
    for metrics in document["policies"].values():
        assert set(metrics) == METRICS
        # Decimals travel as strings, counts as integers.
        assert isinstance(metrics["total_cost"], str)
        assert isinstance(metrics["trades"], int)
    assert document["market"]["first"] == "2021-06-01"
    assert document["market"]["days"] == 2
    assert {g["name"] for g in document["goals"]} >= {"cost cut vs calendar >= 68%"}
    assert document["parameters"]["cost_aware"]["check_interval_seconds"] == 3600
    assert isinstance(document["where_cost_aware_does_not_win"], list)
    # Without --frontier there are no frontiers to compare at equal tracking.
    assert document["frontiers"] == {}
    assert document["headline"] is None


def test_report_writes_markdown_charts_and_parameters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report"
    args = [*SHORT, "--policies", "calendar,cost_aware", "--frontier", "--frontier-grid", "1,4"]
    assert main([*args, "--report", str(report), "--json"]) == 0
    names = {p.name for p in report.iterdir()}
    assert names == {
        "report.md",
        "params.json",
        "frontier.png",
        "frontiers.png",
        "equity.png",
        "drift.png",
    }
    for chart in ("frontier.png", "frontiers.png", "equity.png", "drift.png"):
        assert (report / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (report / "report.md").read_text()
    assert "| calendar |" in text
    assert "| cost_aware |" in text
    assert "## Where cost_aware does not win" in text
    assert "## Frontier" in text
    assert "## Cost at equal tracking" in text
    params = json.loads((report / "params.json").read_text())
    assert params["frontier"]["grid"] == ["1", "4"]
    assert params["policies"] == ["calendar", "cost_aware"]
    document = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    frontiers = document["frontiers"]
    assert [p["label"] for p in frontiers["calendar"]] == [
        "calendar 1h",
        "calendar 1d",
        "calendar 7d",
        "calendar 30d",
    ]
    assert [p["label"] for p in frontiers["cost_aware"]] == [
        "cost_aware lambda=1",
        "cost_aware lambda=4",
    ]
    for point in frontiers["cost_aware"]:
        assert {
            "total_cost",
            "rms_weight_drift",
            "tracking_error_daily",
            "turnover",
            "trades",
        } <= set(point)
        # No resamples: the interval fields are there, empty.
        assert point["interval"]["total_cost"] is None
    headline = document["headline"]
    assert set(headline["against"]) == {"calendar"}
    against = headline["against"]["calendar"]
    assert {"median_cut", "worst_cut", "readings", "interval", "met"} <= set(against)
    assert headline["daily_cron"]["label"] == "calendar 1d"
    assert isinstance(headline["goals_met"], bool)


@pytest.mark.parametrize(
    ("tune", "says"),
    [
        ("2021-05-30:2021-05-31", "which tuning never saw"),
        ("2021-06-01:2021-06-01", "includes the training period: not out of sample"),
    ],
)
def test_tuning_reports_which_period_it_saw(
    tune: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One fixed band sized to its edge: the rule the 0.7,2 grid spans (families.FIXED_GRID).
    # risk_aversion stays the default (not on the grid), so only tuning can set it to one.
    pinned = ["--cost-aware", "band_rule=fixed,sizing=band_edge"]
    args = [*SHORT, *pinned, "--tune", tune, "--frontier-grid", "0.7,2", "--json"]
    assert main([*args, "--report", str(tmp_path)]) == 0
    document = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    training = document["training"]
    assert training["market"]["first"] == tune.split(":")[0]
    assert training["selected"] in {"lambda=0.7", "lambda=2"}
    assert set(training["policies"]) == {"calendar", "threshold", "band_edge", "seed"}
    chosen = training["selected"].removeprefix("lambda=")
    assert document["parameters"]["cost_aware"]["risk_aversion"] == chosen
    assert document["parameters"]["cost_aware"]["sizing"] == "band_edge"
    assert says in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--start", "June"], "--start"),
        (["--start", "2019-01-01"], "--start"),
        (["--end", "2030-01-01"], "--end"),
        (["--start", "2021-06-02", "--end", "2021-06-01"], "--end"),
        (["--targets", "BTC=0.5,USDT=0.4"], "--targets"),
        (["--targets", "SOL=0.5,USDT=0.5"], "--targets"),
        (["--policies", "cron"], "--policies"),
        (["--market", "moon"], "--market"),
        (["--cost-aware", "band=2"], "--cost-aware"),
        (["--cost-aware", "nonsense=1"], "--cost-aware"),
        (["--frontier-grid", "0,1"], "--frontier-grid"),
        (["--resamples", "3"], "--resamples"),
        (["--frontier", "--resamples", "-1"], "--resamples"),
        (["--frontier", "--resamples", "2", "--market", "calm"], "--resamples"),
        (["--tune", "2021-01-01"], "--tune"),
        (["--seed", "x"], "--seed"),
        (["--cadence", "7h"], "--cadence"),
        (["--cadence", "1s"], "--cadence"),
        (["--cadence", "4m"], "--cadence"),
        (["--report", "/dev/null/report"], "--report"),
        (["--cost-aware", "band=0.1,band=0.2"], "--cost-aware"),
        (["--start", "2030-01-01"], "--start"),
        (["--end", "2000-01-01"], "--end"),
        (["--taker-fee", "-1"], "--taker-fee"),
        (["--data", "/nonexistent/bars"], "--data"),
        (["--market", "volatile", "--data", "."], "--data"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_naming_the_option(
    args: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backtest", "--no-progress", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"rebalancer: error: {option}"), err[0]
    assert "Traceback" not in err[0]


def test_argparse_refusals_also_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["backtest", "--jobs", "many"])
    assert exit_info.value.code == 2
    assert "--jobs" in capsys.readouterr().err


def test_resamples_give_every_frontier_point_and_cut_an_interval(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = [*SHORT, "--policies", "band_edge,cost_aware", "--frontier", "--frontier-grid", "1,8"]
    assert main([*args, "--resamples", "2", "--json"]) == 0
    document = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert document["headline"]["resamples"] == 2
    for points in document["frontiers"].values():
        for point in points:
            spread = point["interval"]["total_cost"]
            assert spread["samples"] == 2
            assert spread["p5"] is not None
            assert spread["p5"] <= spread["p95"] or float(spread["p5"]) <= float(spread["p95"])
    cut = document["headline"]["against"]["band_edge"]["interval"]["median_cut"]
    # Two days rarely trade enough to compare; when they do, both resamples count.
    assert cut is None or cut["samples"] <= 2


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--start", "2030-01-01"], "--start: 2030-01-01 is after the data ends (2023-12-29)"),
        (["--end", "2000-01-01"], "--end: 2000-01-01 is before the data begins (2020-12-31)"),
    ],
)
def test_a_period_outside_the_data_says_where_the_data_is(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backtest", "--no-progress", *args]) == 2
    assert says in capsys.readouterr().err
