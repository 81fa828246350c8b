"""``rebalancer backtest``: replay policies over a market and report cost against tracking error."""

from __future__ import annotations

import argparse
import json
import os
import shlex
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from rebalancer.cli.arguments import parse_duration, parse_targets
from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.numbers import plain, to_places
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.domain.snapshot import validate_targets
from rebalancer.domain.snapshot_json import describe

DEFAULT_TARGETS = "BTC=0.4,ETH=0.3,LINK=0.1,USDT=0.2"
POLICY_NAMES = ("calendar", "threshold", "band_edge", "seed", "cost_aware")
MARKET_NAMES = ("replay", "calm", "volatile", "crash", "thin")


HELP = "replay policies over real or simulated markets; cost against tracking error"
DESCRIPTION = (
    "Drive the domain policy and the baselines through the paper venue's market model "
    "and matching engine in process, and report cost against tracking error."
)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, help="directory of <ASSET>-USD.daily.csv files")
    parser.add_argument(
        "--market", default=None, help=f"one of {', '.join(MARKET_NAMES)} (default replay)"
    )
    parser.add_argument("--targets", default=DEFAULT_TARGETS, help="ASSET=WEIGHT,... summing to 1")
    parser.add_argument("--start", help="first day, YYYY-MM-DD (default: the data's first)")
    parser.add_argument("--end", help="last day, inclusive (default: the data's last)")
    parser.add_argument(
        "--policies", default=",".join(POLICY_NAMES), help=f"any of {','.join(POLICY_NAMES)}"
    )
    parser.add_argument("--seed", default="1", help="seed of the simulated paths (default 1)")
    parser.add_argument("--equity", default="100000", help="starting equity in quote currency")
    parser.add_argument("--cadence", default="1h", help="check interval of the drift policies")
    parser.add_argument("--maker-fee", default="0.001", help="maker fee rate (default 0.001)")
    parser.add_argument("--taker-fee", default="0.001", help="taker fee rate (default 0.001)")
    parser.add_argument(
        "--cost-aware",
        default="",
        metavar="KEY=VALUE,...",
        help="cost_aware policy settings, e.g. risk_aversion=0.6,band=0.03,sizing=band_edge",
    )
    parser.add_argument(
        "--frontier",
        action="store_true",
        help="sweep every policy along its knob and report cost at equal tracking",
    )
    parser.add_argument(
        "--resamples",
        default="0",
        help="with --frontier: re-run the frontiers on N block-bootstrapped histories "
        "for intervals (replay only; 20 or more for a claim)",
    )
    parser.add_argument(
        "--resample-days",
        default=None,
        help="length of each resampled history in days (default: the period's)",
    )
    parser.add_argument(
        "--frontier-grid", default=None, help="risk aversions to sweep, e.g. 0.25,0.5,1,2,4"
    )
    parser.add_argument(
        "--tune",
        default=None,
        metavar="START:END",
        help="choose cost_aware's risk aversion on this period of the same market first",
    )
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    parser.add_argument("--json", action="store_true", help="last stdout line is one JSON object")
    parser.add_argument("--report", type=Path, help="write report.md, params.json and charts here")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(handler=handle)


def _date(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(option, f"{text!r} is not a date like 2022-01-31") from None


def _decimal(option: str, text: str, *, positive: bool = True) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(option, f"{text!r} is not a number") from None
    if not value.is_finite() or (value <= 0 if positive else value < 0):
        raise InvalidInput(option, "must be a positive number" if positive else "must be >= 0")
    return value


def _integer(option: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(option, f"{text!r} is not an integer") from None


def _targets(text: str) -> tuple[str, dict[str, Decimal]]:
    quote, raw = parse_targets("--targets", text)
    weights = {asset: Decimal(weight) for asset, weight in raw.items()}
    for asset, weight in weights.items():
        if not weight.is_finite() or weight < 0 or weight > 1:
            raise InvalidInput("--targets", f"weight of {asset} must be between 0 and 1")
    try:
        validate_targets(weights, quote)
    except InvalidInput as error:
        raise InvalidInput("--targets", error.rule) from None
    if len(weights) < 2:
        raise InvalidInput("--targets", "needs at least one asset besides the quote currency")
    return quote, weights


def _policies(text: str) -> tuple[str, ...]:
    chosen = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in POLICY_NAMES]
    if unknown or not chosen:
        raise InvalidInput("--policies", f"choose from {','.join(POLICY_NAMES)}; got {text!r}")
    return tuple(p for p in POLICY_NAMES if p in chosen)


def _settings(text: str, cadence: int) -> PolicySettings:
    overrides: dict[str, Any] = {"check_interval_seconds": cadence}
    given: set[str] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInput("--cost-aware", f"{part!r} is not KEY=VALUE")
        if key not in PolicySettings.model_fields:
            raise InvalidInput("--cost-aware", f"unknown setting {key!r}")
        if key in given:
            raise InvalidInput("--cost-aware", f"{key!r} appears twice")
        given.add(key)
        overrides[key] = value.strip()
    try:
        return PolicySettings.model_validate_json(json.dumps(overrides))
    except ValidationError as error:
        problem = describe(error, root="policy")
        raise InvalidInput("--cost-aware", f"{problem.field}: {problem.rule}") from None


def _grid(text: str | None) -> tuple[Decimal, ...] | None:
    if text is None:
        return None
    values = [_decimal("--frontier-grid", p.strip()) for p in text.split(",") if p.strip()]
    if not values:
        raise InvalidInput("--frontier-grid", "give at least one risk aversion")
    return tuple(sorted(set(values)))


def _tune(text: str | None) -> tuple[date, date] | None:
    if text is None:
        return None
    first, sep, last = text.partition(":")
    if not sep:
        raise InvalidInput("--tune", f"{text!r} is not START:END")
    start, end = _date("--tune", first), _date("--tune", last)
    if start is None or end is None or end < start:
        raise InvalidInput("--tune", "END must not be before START")
    return start, end


def handle(args: argparse.Namespace) -> int:
    from rebalancer.backtest.experiment import Portfolio
    from rebalancer.backtest.markets import PATH_STEP, instruments_for, market_spec
    from rebalancer.backtest.study import StudyRequest, planned_days

    market = args.market or "replay"
    if market not in MARKET_NAMES:
        raise InvalidInput("--market", f"choose one of {', '.join(MARKET_NAMES)}")
    quote, targets = _targets(args.targets)
    cadence = parse_duration("--cadence", args.cadence)
    if cadence > 86_400 or 86_400 % cadence:
        raise InvalidInput("--cadence", "must divide one day (e.g. 15m, 1h, 4h, 1d)")
    step = int(PATH_STEP.total_seconds())
    if cadence < step:
        # Between two points of the path the price moves in a straight line: checks more
        # often would see the line, not the market, and take hours to do it.
        raise InvalidInput(
            "--cadence", f"must be at least {step // 60}m, the price path's resolution"
        )
    maker = _decimal("--maker-fee", args.maker_fee, positive=False)
    taker = _decimal("--taker-fee", args.taker_fee, positive=False)
    if maker >= 1 or taker >= 1:
        raise InvalidInput("--taker-fee" if taker >= 1 else "--maker-fee", "must be below 1")
    seed = _integer("--seed", args.seed)
    equity = _decimal("--equity", args.equity)
    if args.jobs is not None and not 1 <= args.jobs <= 64:
        raise InvalidInput("--jobs", "must be between 1 and 64")
    policies = _policies(args.policies)
    settings = _settings(args.cost_aware, cadence)
    grid = _grid(args.frontier_grid)
    tune = _tune(args.tune)
    resamples = _integer("--resamples", args.resamples)
    if not 0 <= resamples <= 1000:
        raise InvalidInput("--resamples", "must be between 0 and 1000")
    if resamples and not args.frontier:
        raise InvalidInput("--resamples", "needs --frontier (intervals are of frontiers)")
    if resamples and market != "replay":
        raise InvalidInput("--resamples", "resamples a replay of real bars; not --market")
    resample_days = None
    if args.resample_days is not None:
        resample_days = _integer("--resample-days", args.resample_days)
        if resample_days < 2:
            raise InvalidInput("--resample-days", "must be at least 2")
    if args.data is not None and not args.data.is_dir():
        raise InvalidInput("--data", f"{args.data} is not a directory")
    assets = sorted(a for a in targets if a != quote)
    instruments = instruments_for(assets, maker, taker)
    spec = market_spec(
        market,
        instruments,
        seed=seed,
        first=_date("--start", args.start),
        last=_date("--end", args.end),
        data_dir=args.data,
    )
    training = None
    if tune is not None:
        training = market_spec(
            market, instruments, seed=seed, first=tune[0], last=tune[1], data_dir=args.data
        )
    if args.report is not None:
        _report_folder(args.report)
    request = StudyRequest(
        market=spec,
        portfolio=Portfolio(targets, quote, equity, timedelta(seconds=cadence)),
        policies=policies,
        settings=settings,
        fee=taker,
        frontier=args.frontier,
        grid=grid,
        training=training,
        workers=args.jobs or max(1, os.cpu_count() or 1),
        resamples=resamples,
        resample_days=resample_days,
    )
    command = _command(args, market, spec.first, spec.last)
    result = _run_with_progress(request, planned_days(request), not args.no_progress)
    from rebalancer.backtest.report import study_json, write_report

    document = study_json(result, command)
    if args.report is not None:
        try:
            write_report(args.report, result, command)
        except OSError as error:
            raise InvalidInput(
                "--report", f"cannot write {args.report}: {error.strerror or error}"
            ) from None
    if args.json:
        print(json.dumps(document, separators=(",", ":")))
    else:
        _render(document, args.report)
    return 0


def _report_folder(folder: Path) -> None:
    """Refuse, before minutes of simulation rather than after them, a report folder that
    cannot be written: one that is a file, or below a file or an unwritable folder. Nothing
    is created yet, so a run that fails or is interrupted leaves no empty folder behind."""
    if folder.exists() and not folder.is_dir():
        raise InvalidInput("--report", f"{folder} exists and is not a directory")
    existing = folder.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InvalidInput("--report", f"cannot create {folder}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InvalidInput("--report", f"cannot write in {existing}: permission denied")


def _run_with_progress(request: Any, total: int, show: bool) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from rebalancer.backtest.study import run_study

    if not show:
        return run_study(request)
    console = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        "simulated days",
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("backtest", total=total)
        result = run_study(request, lambda days: progress.advance(task, days))
        progress.update(task, completed=total)
    return result


def _command(args: argparse.Namespace, market: str, first: date, last: date) -> str:
    parts = ["rebalancer", "backtest", "--market", market]
    if args.data is not None:
        parts += ["--data", str(args.data)]
    parts += ["--targets", args.targets, "--start", first.isoformat(), "--end", last.isoformat()]
    parts += ["--policies", args.policies, "--seed", str(args.seed), "--cadence", args.cadence]
    if args.equity != "100000":
        parts += ["--equity", args.equity]
    if args.maker_fee != "0.001" or args.taker_fee != "0.001":
        parts += ["--maker-fee", args.maker_fee, "--taker-fee", args.taker_fee]
    if args.cost_aware:
        parts += ["--cost-aware", args.cost_aware]
    if args.tune:
        parts += ["--tune", args.tune]
    if args.frontier:
        parts.append("--frontier")
    if args.frontier_grid:
        parts += ["--frontier-grid", args.frontier_grid]
    if args.resamples != "0":
        parts += ["--resamples", args.resamples]
    if args.resample_days is not None:
        parts += ["--resample-days", args.resample_days]
    return shlex.join(parts)


def _render(document: dict[str, Any], report: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    market = document["market"]
    table = Table(title=f"{market['name']} {market['first']} to {market['last']}")
    columns = (
        ("total_cost", "cost"),
        ("cost_bps_per_year", "bps/yr"),
        ("trades", "trades"),
        ("turnover", "turnover"),
        ("tracking_error_rms_weight", "RMS drift"),
        ("tracking_error_daily_benchmark", "TE daily"),
        ("tracking_error_annualised", "TE hourly"),
        ("max_drift", "max drift"),
        ("final_value_vs_target", "vs target"),
    )
    table.add_column("policy")
    for _, title in columns:
        table.add_column(title, justify="right")
    for name, metrics in document["policies"].items():
        cells = []
        for key, _ in columns:
            value = metrics[key]
            if key in ("total_cost", "cost_bps_per_year", "trades", "turnover"):
                cells.append(str(value))
            else:
                cells.append(f"{plain(to_places(Decimal(value) * 100, 2))}%")
        table.add_row(name, *cells)
    console.print(table)
    for goal in document["goals"]:
        mark = "[green]met[/green]" if goal["met"] else "[red]MISSED[/red]"
        console.print(f"{goal['name']}: {mark} ({goal['detail']})")
    for line in document["where_cost_aware_does_not_win"]:
        console.print(f"[yellow]not a win[/yellow]: {line}")
    headline = document.get("headline")
    if headline:
        for name, against in headline["against"].items():
            mark = "[green]met[/green]" if against["met"] else "[red]MISSED[/red]"
            console.print(
                f"at equal tracking vs {name}: median cut {against['median_cut']}, "
                f"worst {against['worst_cut']}: {mark}"
            )
        cron = headline["daily_cron"]
        mark = "[green]met[/green]" if cron["met"] else "[red]MISSED[/red]"
        console.print(f"at the daily cron's tracking: cut {cron['cut']}: {mark}")
    if report is not None:
        console.print(f"report written to {report}/report.md")
