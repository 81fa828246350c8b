"""``rebalancer plan`` as a user runs it: the seed example, and bad input refused cleanly.

Each case is a real subprocess (so a traceback would show on stderr); they run
concurrently from one fixture to keep the module fast.
"""

from __future__ import annotations

import contextlib
import decimal
import io
import json
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rebalancer.cli import main
from tests.domain_fixtures import SEED_PATH, seed_data

REPO = SEED_PATH.parents[1]
DIGITS_34 = decimal.Context(prec=34)


def _command() -> list[str]:
    script = Path(sys.executable).with_name("rebalancer")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from rebalancer.cli import run; run()"]


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def _text(mutate: Callable[[dict[str, Any]], None]) -> str:
    data = seed_data()
    mutate(data)
    return json.dumps(data, indent=1)


def _seed_text(rewrite: Callable[[str], str]) -> str:
    return rewrite(SEED_PATH.read_text(encoding="utf-8"))


def _all_empty(data: dict[str, Any]) -> None:
    for position in data["positions"]:
        position["quantity"] = "0"


def _quantity(value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["positions"][0].__setitem__("quantity", value)


# name: (file content, or None for a path that does not exist; field the error must name)
BAD: dict[str, tuple[str | bytes | None, str]] = {
    "negative quantity": (_text(_quantity("-1")), "positions.0.quantity"),
    "NaN": (_seed_text(lambda t: t.replace('"1.5"', "NaN")), "positions.0.quantity"),
    "Infinity": (_seed_text(lambda t: t.replace('"1.5"', "Infinity")), "positions.0.quantity"),
    "non-numeric string": (_text(_quantity("one and a half")), "positions.0.quantity"),
    "duplicate asset in positions": (
        _text(lambda d: d["positions"].append({"asset": "ETH", "quantity": "1"})),
        "positions.3.asset",
    ),
    "duplicate key in targets": (
        _seed_text(lambda t: t.replace('"USDT": "0.25"', '"USDT": "0.25",\n    "ETH": "0.35"')),
        "targets.ETH",
    ),
    # Held without a target: counted (and sold), so it needs a price like any other.
    "held asset with no price": (
        _text(lambda d: d["positions"].append({"asset": "SOL", "quantity": "3"})),
        "prices.SOL/USDT",
    ),
    "symbol with no price": (_text(lambda d: d["prices"].pop("BTC/USDT")), "prices.BTC/USDT"),
    "targets not summing to 1": (
        _text(lambda d: d["targets"].__setitem__("USDT", "0.2500000000000000000000000000000001")),
        "targets",
    ),
    "zero equity": (_text(_all_empty), "positions"),
    "missing file": (None, "--snapshot"),
    "invalid JSON": ('{"quote": "USDT", "positions": [', "snapshot"),
    "not UTF-8": (b"\xff\xfe{}", "--snapshot"),
    # A key may hold a newline; the message must still be one line.
    "newline in a key": (
        _text(lambda d: d["prices"].__setitem__("BTC\n/USDT", {"last": "abc"})),
        "prices.BTC\\n/USDT.last",
    ),
}


def _run(args: list[str]) -> Run:
    done = subprocess.run(
        [*_command(), *args], capture_output=True, text=True, cwd=REPO, timeout=60, check=False
    )
    return Run(done.returncode, done.stdout, done.stderr)


# A handful go through the installed console script as well, to prove the real entry point.
THROUGH_THE_SCRIPT = ["NaN", "duplicate key in targets", "missing file", "not UTF-8"]


def _write(folder: Path, name: str, content: str | bytes | None) -> Path:
    path = folder / (name.replace(" ", "-") + ".json")
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    folder = tmp_path_factory.mktemp("snapshots")
    jobs: dict[str, list[str]] = {
        "seed --json": ["plan", "--snapshot", "examples/seed-snapshot.json", "--json"],
        "seed": ["plan", "--snapshot", "examples/seed-snapshot.json"],
    }
    float_literals = _seed_text(lambda t: t.replace('"1.5"', "1.5").replace('"25.0"', "25.0"))
    floats = _write(folder, "floats", float_literals)
    jobs["float literals"] = ["plan", "--snapshot", str(floats), "--json"]
    for name in THROUGH_THE_SCRIPT:
        path = _write(folder, name, BAD[name][0])
        jobs[name] = ["plan", "--snapshot", str(path), "--json"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(_run, args) for name, args in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def _in_process(args: list[str]) -> Run:
    """``main`` as the console script calls it: an uncaught exception fails the test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return Run(code, out.getvalue(), err.getvalue())


def _last_json(run: Run) -> dict[str, Any]:
    assert run.code == 0, run.stderr
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def _assets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["asset"]: row for row in result["assets"]}


def test_seed_btc_weight_is_96345_over_182595_to_the_context_precision(
    runs: dict[str, Run],
) -> None:
    assets = _assets(_last_json(runs["seed --json"]))
    expected = DIGITS_34.divide(Decimal(96345), Decimal(182595))
    assert Decimal(assets["BTC"]["weight"]) == expected
    assert assets["BTC"]["weight"] == "0.5276431446644212601659410170048468"
    assert Decimal(assets["ETH"]["weight"]) == DIGITS_34.divide(Decimal(86250), Decimal(182595))
    assert Decimal(assets["BTC"]["target"]) == Decimal("0.40")


def test_seed_lists_the_quote_currency_as_an_asset(runs: dict[str, Run]) -> None:
    result = _last_json(runs["seed --json"])
    usdt = _assets(result)["USDT"]
    assert Decimal(usdt["weight"]) == 0
    assert Decimal(usdt["target"]) == Decimal("0.25")
    assert Decimal(usdt["drift"]) == Decimal("-0.25")
    assert [row["asset"] for row in result["assets"]] == ["BTC", "ETH", "USDT"]


def test_seed_rows_carry_the_documented_fields_with_decimals_as_strings(
    runs: dict[str, Run],
) -> None:
    result = _last_json(runs["seed --json"])
    for row in result["assets"]:
        for key in ("asset", "weight", "target", "drift", "velocity", "verdict", "reason"):
            assert key in row
        for key in ("weight", "target", "drift", "velocity", "cost_of_inaction"):
            assert isinstance(row[key], str)
            Decimal(row[key])
        assert row["verdict"] in {"execute", "slice", "queue", "skip"}
    # Velocity over the last 3 samples: the file's 2 plus this check's drift.
    btc = _assets(result)["BTC"]
    rise = DIGITS_34.subtract(Decimal(btc["drift"]), Decimal("0.1190"))
    assert Decimal(btc["velocity"]) == DIGITS_34.divide(rise, Decimal(2))


def test_seed_orders_are_exchange_legal_and_sells_come_first(runs: dict[str, Run]) -> None:
    result = _last_json(runs["seed --json"])
    data = seed_data()
    orders = result["orders"]
    assert orders, "the seed portfolio is 12 points off target: something must trade"
    sides = [order["side"] for order in orders]
    assert sides == sorted(sides, key=lambda side: side != "sell")
    free = {p["asset"]: Decimal(p.get("free", p["quantity"])) for p in data["positions"]}
    minimum = Decimal(data["policy"]["min_trade_notional"])
    for order in orders:
        market = data["markets"][order["symbol"]]
        amount, price = Decimal(order["amount"]), Decimal(order["price"])
        assert isinstance(order["amount"], str)
        assert amount % Decimal(market["step_size"]) == 0
        assert price % Decimal(market["tick_size"]) == 0
        assert amount * price >= max(Decimal(market["min_notional"]), minimum)
        assert amount >= Decimal(market["min_qty"])
        if order["side"] == "sell":
            assert amount <= free[order["symbol"].split("/")[0]]


def test_seed_human_output_explains_each_asset(runs: dict[str, Run]) -> None:
    run = runs["seed"]
    assert run.code == 0, run.stderr
    for asset in ("BTC", "ETH", "USDT"):
        assert f"{asset}:" in run.stdout


def test_json_float_literals_are_accepted_because_they_are_parsed_exactly(
    runs: dict[str, Run],
) -> None:
    strings = _assets(_last_json(runs["seed --json"]))
    floats = _assets(_last_json(runs["float literals"]))
    assert floats["BTC"]["weight"] == strings["BTC"]["weight"]


def _refused_cleanly(run: Run, field: str) -> None:
    assert run.code == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"rebalancer: error: {field}: "), lines[0]


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_input_exits_2_with_one_line_naming_the_field(tmp_path: Path, case: str) -> None:
    content, field = BAD[case]
    path = _write(tmp_path, case, content)
    _refused_cleanly(_in_process(["plan", "--snapshot", str(path), "--json"]), field)


@pytest.mark.parametrize("case", THROUGH_THE_SCRIPT)
def test_bad_input_through_the_console_script(runs: dict[str, Run], case: str) -> None:
    _refused_cleanly(runs[case], BAD[case][1])
