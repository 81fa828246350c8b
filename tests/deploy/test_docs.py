"""docs/deployment.md and docs/operations.md say only what is true of the code.

Every `rebalancer` command parses; every policy JSON validates; every metric, setting and
search attribute named exists; every PromQL query reads exported series; every SQL query
runs against a migrated ledger; the runbook covers each row of the seed's table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import redirect_stderr
from decimal import Decimal
from io import StringIO
from pathlib import Path

import asyncpg
import pytest
import yaml

from activities import STEPS
from rebalancer.cli import build_parser
from rebalancer.cli.account import config_from_args
from rebalancer.cli.arguments import parse_targets
from rebalancer.domain.policy_settings import PolicySettings
from rebalancer.ledger.migrate import load_migrations
from rebalancer.pipeline import search_attributes
from rebalancer.pipeline.messages import PolicyUpdate
from rebalancer.pipeline.names import watcher_id, workflow_id
from rebalancer.runtime.config import Settings
from tests.deploy.compose_checks import read_env_names, settings_env_names
from tests.deploy.compose_model import services
from tests.deploy.dashboard_checks import check_expr
from tests.deploy.markdown_code import argv, commands_of, fenced, inline, shell_lines
from tests.deploy.promql import SUFFIXES, exported_series
from tests.deploy.stack_files import (
    COMPOSE_FILE,
    DOCS,
    REPO,
    Variable,
    compose,
    raw_compose,
    variables,
)

DEPLOYMENT = DOCS / "deployment.md"
OPERATIONS = DOCS / "operations.md"
PAGES = (DEPLOYMENT, OPERATIONS)
SHELL = ("sh", "console", "bash")
RUNBOOK = (
    "Rate limits",
    "Oscillating drift",
    "Symbol mismatch",
    "Connection-pool exhaustion",
    "Partial-fill drift",
    "Market closed",
)
SECTION_PARTS = (
    "**Symptom.**",
    "**What it means here.**",
    "**Metrics.**",
    "**Logs.**",
    "**Temporal UI.**",
    "**Ledger.**",
    "**Fix.**",
)
# Identifiers the runbook puts in backticks that are neither policy fields, ledger names nor
# metrics: log fields (activities/interceptor.py, the log calls in activities/),
# PostgreSQL's own names, and compose keys.
OTHER_IDENTIFIERS = {
    "account", "venue", "workflow_id", "activity", "attempt", "cycle", "client_order_id",
    "symbol", "side", "amount", "price", "status", "filled", "since_detect_ms", "timestamp",
    "level", "logger", "event", "kind", "error", "field", "rule", "pg_stat_activity",
    "max_connections", "stop_grace_period", "set_policy", "outcome", "asset",
}  # fmt: skip


def shell_texts(*pages: Path) -> list[str]:
    texts: list[str] = []
    for page in pages:
        texts += fenced(page, *SHELL)
        texts += inline(page)
    return texts


def rebalancer_commands() -> list[list[str]]:
    return [words for words in commands_of("rebalancer", shell_texts(*PAGES)) if len(words) > 1]


def temporal_commands() -> list[list[str]]:
    return commands_of("temporal", shell_texts(*PAGES))


def option(words: list[str], name: str) -> str | None:
    return words[words.index(name) + 1] if name in words[:-1] else None


# --- commands -----------------------------------------------------------------------------


def test_docs_show_rebalancer_commands() -> None:
    subcommands = {" ".join(words[1:3]) for words in rebalancer_commands()}
    for expected in ("account add", "account status", "account pause", "db migrate"):
        assert expected in subcommands


@pytest.mark.parametrize("words", rebalancer_commands(), ids=" ".join)
def test_rebalancer_command_parses(words: list[str]) -> None:
    parser = build_parser()
    errors = StringIO()
    try:
        with redirect_stderr(errors):
            args = parser.parse_args(words[1:])
    except SystemExit:
        pytest.fail(f"`{' '.join(words)}` does not parse: {errors.getvalue().strip()}")
    if words[1:3] == ["account", "add"]:
        config_from_args(args)  # targets, policy JSON and check interval, validated
    if words[1:3] == ["account", "targets"]:
        parse_targets("targets", args.targets)


def test_set_policy_inputs_validate() -> None:
    updates = [w for w in temporal_commands() if option(w, "--name") == "set_policy"]
    assert updates, "the docs show how to change policy"
    for words in updates:
        assert option(words, "--workflow-id") is not None
        payload = option(words, "--input")
        assert payload is not None
        update = PolicyUpdate.model_validate(json.loads(payload))
        PolicySettings.model_validate(update.policy)


def test_workflow_ids_and_queries_name_real_things() -> None:
    alerts = yaml.safe_load((REPO / "deploy" / "alerts.yml").read_text())
    attributes = {key.name for key in search_attributes.ALL} | {
        rule["alert"] for group in alerts["groups"] for rule in group["rules"]
    }
    texts = [t for page in PAGES for t in [page.read_text(encoding="utf-8")]]
    named = {name for text in texts for name in re.findall(r"\bRebalancer[A-Z]\w+", text)}
    assert named <= attributes
    # The ids the system gives its workflows: an account's, or a venue's fleet watcher's.
    prefixes = (workflow_id(""), watcher_id(""))
    for words in temporal_commands():
        workflow = option(words, "--workflow-id")
        if workflow is not None:
            assert workflow.startswith(prefixes), words


def test_compose_commands_name_real_services() -> None:
    known = set(services(compose()))
    lines = [line for text in shell_texts(*PAGES) for line in shell_lines(text)]
    checked = 0
    for line in lines:
        words = argv(line)
        if words[:2] != ["docker", "compose"]:
            continue
        files = [words[i + 1] for i, word in enumerate(words[:-1]) if word == "-f"]
        assert files[:1] == [COMPOSE_FILE.name], line
        rest = words[2 + 2 * len(files) :]
        for name in _services_named(rest):
            assert name in known, f"{name} in `{line}` is not a service"
            checked += 1
    assert checked >= 10


def _services_named(rest: list[str]) -> Iterator[str]:
    if not rest:
        return
    subcommand, args = rest[0], rest[1:]
    positional = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            if "=" in arg:
                yield arg.split("=")[0]  # --scale worker=3
            continue
        if arg == "--scale":
            skip = True
        elif not arg.startswith("-"):
            positional.append(arg)
    if subcommand in ("exec", "run"):
        yield from positional[:1]
    elif subcommand in ("up", "logs", "stop", "start", "restart", "ps", "build"):
        yield from positional


# --- names ------------------------------------------------------------------------------


def test_metrics_named_in_docs_are_exported() -> None:
    exported = exported_series()
    families = {
        name.removesuffix(suffix)
        for name in exported
        for suffixes in SUFFIXES.values()
        for suffix in suffixes
        if suffix and name.endswith(suffix)
    } | set(exported)
    pattern = re.compile(r"\b(?:rebalance|execution|slippage|temporal)_[a-z_]+")
    not_metrics = set(PolicySettings.model_fields) | set(Settings.model_fields)
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        named = set(pattern.findall(text)) - {"temporal_visibility"} - not_metrics
        unknown = {name for name in named if name not in families}
        assert unknown == set(), f"{page.name} names metrics the worker does not export"


def test_promql_in_runbook_reads_exported_series() -> None:
    exported = exported_series()
    blocks = fenced(OPERATIONS, "promql")
    assert len(blocks) >= 12
    for block in blocks:
        assert check_expr("operations.md", block, exported) == []


def test_settings_named_in_docs_exist() -> None:
    interpolated = {v.name for v in variables(COMPOSE_FILE.read_text(encoding="utf-8"))}
    known = set(settings_env_names()) | read_env_names() | interpolated
    per_account = re.compile(r"REBALANCER_<ID>_(API_KEY|API_SECRET|VENUE)")
    for page in PAGES:
        text = per_account.sub("", page.read_text(encoding="utf-8"))
        named = set(re.findall(r"\bREBALANCER_[A-Z0-9_]*[A-Z0-9]\b", text))
        named |= set(re.findall(r"\b[A-Z][A-Z0-9_]*_PASSWORD\b", text))
        assert named - known == set(), f"{page.name} names settings nobody reads"
    assert "REBALANCER_CREDENTIALS_HOST_FILE" in {v.name for v in _raw_variables()}


def _raw_variables() -> Iterator[Variable]:
    secrets = raw_compose()["secrets"]
    for spec in secrets.values():
        yield from variables(str(spec["file"]))


def _ledger_names() -> set[str]:
    sql = "\n".join(migration.sql for migration in load_migrations())
    tables = set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", sql))
    columns = set(
        re.findall(r"^\s+(\w+)\s+(?:text|bigint|numeric|timestamptz|jsonb|integer)", sql, re.M)
    )
    return tables | columns | {"schema_migrations"}


def test_identifiers_in_the_runbook_exist() -> None:
    """Every snake_case name in backticks is a policy field, a ledger name, a metric or a
    known log or PostgreSQL name: a renamed policy field fails here."""
    policy = set(PolicySettings.model_fields)
    # Each step's activity is named as its module (tests/workflows/test_activity_names.py).
    activities = {step.__module__.rsplit(".", 1)[-1] for step in STEPS}
    known = policy | _ledger_names() | OTHER_IDENTIFIERS | activities | set(exported_series())
    known |= {name.removesuffix("_total") for name in exported_series()}
    known |= {name.rsplit("_", 1)[0] for name in exported_series() if name.endswith("_bucket")}
    spans = inline(OPERATIONS)
    names = {span for span in spans if re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+", span)}
    unknown = {name for name in names if "_" in name and name not in known}
    assert unknown == set()
    pairs = [span.split(": ", 1) for span in spans if re.fullmatch(r"[a-z_]+: \w+", span)]
    for name, value in pairs:
        if name in OTHER_IDENTIFIERS:
            continue
        assert name in policy, f"`{name}: {value}` is not a policy field"
        PolicySettings.model_validate({name: value})


# --- the runbook ------------------------------------------------------------------------


def test_runbook_covers_the_seed_table() -> None:
    text = OPERATIONS.read_text(encoding="utf-8")
    sections = re.split(r"^### \d+\. ", text, flags=re.MULTILINE)[1:]
    titles = [section.splitlines()[0].strip() for section in sections]
    assert titles == list(RUNBOOK)
    for title, section in zip(titles, sections, strict=True):
        for part in SECTION_PARTS:
            assert part in section, f"{title}: missing {part}"
        assert "```promql" in section, f"{title}: no PromQL"
        assert "```sql" in section, f"{title}: no SQL"


def test_links_resolve() -> None:
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


SEED_ROWS = """
INSERT INTO accounts VALUES ('demo-1', 'paper', 'USDT', now());
INSERT INTO target_versions (account_id, effective_at, source) VALUES ('demo-1', now(), 'add');
INSERT INTO target_weights VALUES ('demo-1', (SELECT max(effective_at) FROM target_versions),
    'BTC', 0.4);
INSERT INTO cycles (account_id, cycle, trigger, started_at, drift_snapshot, status, decision)
VALUES ('demo-1', 1, 'timer', now(),
    '{"assets": [{"asset": "BTC", "drift": "0.05", "velocity": "-0.01"}]}', 'failed',
    '{"summary": {"note": "RateLimited: 429"}}');
INSERT INTO orders VALUES ('rb-1-1-BTC-0', 'demo-1', 1, 'paper', '7', 'BTC/USDT', 'sell',
    1, 60000, 'canceled', 0.4, 60000, now(), now());
INSERT INTO fills (venue, account_id, symbol, trade_id, client_order_id, venue_order_id,
    side, quantity, price, fee, fee_asset, executed_at)
VALUES ('paper', 'demo-1', 'BTC/USDT', '1', 'rb-1-1-BTC-0', '7', 'sell', 0.3, 60000, 0,
    'USDT', now());
INSERT INTO balance_snapshots (account_id, taken_at, source) VALUES ('demo-1', now(), 'reconcile');
INSERT INTO balance_rows VALUES ('demo-1', now(), 'reconcile', 'BTC', 1.1, 0);
"""


async def test_sql_in_runbook_runs_against_the_ledger(ledger_dsn: str) -> None:
    blocks = fenced(OPERATIONS, "sql")
    assert len(blocks) >= 10
    connection = await asyncpg.connect(ledger_dsn)
    try:
        await connection.execute(SEED_ROWS)
        results = {}
        for block in blocks:
            assert block.strip().count(";") == 1, block
            assert block.strip().endswith(";"), block
            try:
                results[block] = await connection.fetch(block)
            except asyncpg.PostgresError as error:
                pytest.fail(f"{error}\n{block}")
    finally:
        await connection.close()
    drift = next(rows for sql, rows in results.items() if "jsonb_array_elements" in sql)
    assert [row["drift"] for row in drift] == [Decimal("0.05")]
    missing = next(rows for sql, rows in results.items() if "fills_recorded" in sql)
    assert [row["client_order_id"] for row in missing] == ["rb-1-1-BTC-0"]


def test_argparse_errors_are_caught() -> None:
    """The command check above can fail: a wrong command raises SystemExit."""
    with pytest.raises(SystemExit), redirect_stderr(StringIO()):
        build_parser().parse_args(["account", "paus", "demo-1"])
