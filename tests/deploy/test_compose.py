"""docker-compose.temporal.yml holds together, checked without a Docker engine.

Each family of checks passes on the real file and fails on a copy broken in memory, so a
check that cannot fail would show here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.deploy import compose_checks as checks
from tests.deploy.compose_model import environment, resolve, services
from tests.deploy.stack_files import COMPOSE_FILE, compose, interpolate, raw_compose, variables

Check = Callable[[dict[str, Any]], list[str]]
FAMILIES: list[Check] = [
    checks.check_images,
    checks.check_depends_on,
    checks.check_volumes,
    checks.check_secrets,
    checks.check_container_paths,
    checks.check_host_ports,
    checks.check_healthchecks,
    checks.check_addresses,
    checks.check_listeners,
    checks.check_worker_settings,
]
EXPECTED_SERVICES = {
    "temporal-db",
    "temporal-schema",
    "temporal",
    "temporal-setup",
    "temporal-admin-tools",
    "temporal-ui",
    "ledger-db",
    "paper-venue",
    "worker",
    "prometheus",
    "alertmanager",
    "grafana",
}


@pytest.fixture
def stack() -> dict[str, Any]:
    return compose()


def one(problems: list[str], *fragments: str) -> None:
    """At least one problem mentions every fragment."""
    assert any(all(f in problem for f in fragments) for problem in problems), problems


def test_file_parses_with_the_expected_services(stack: dict[str, Any]) -> None:
    assert COMPOSE_FILE.is_file()
    assert set(services(stack)) == EXPECTED_SERVICES


@pytest.mark.parametrize("check", FAMILIES, ids=lambda check: check.__name__)
def test_real_file_passes(check: Check, stack: dict[str, Any]) -> None:
    assert check(stack) == []


def test_every_variable_has_a_default() -> None:
    assert checks.check_interpolation(raw_compose()) == []


def test_interpolation_follows_compose_rules() -> None:
    assert interpolate("${A:-x}") == "x"
    assert interpolate("${A:-x}", {"A": ""}) == "x"
    assert interpolate("${A-x}", {"A": ""}) == ""
    assert interpolate("${A}/$B/$$C", {"A": "1", "B": "2"}) == "1/2/$C"
    assert [v.has_default for v in variables("${A:-1} ${B} $C ${D-}")] == [True, False, False, True]


# --- each family fails on a broken copy ---------------------------------------------------


def test_images_and_builds(stack: dict[str, Any]) -> None:
    s = services(stack)
    s["worker"]["build"] = {"context": "./nowhere"}
    s["paper-venue"]["build"] = {"context": ".", "dockerfile": "Dockerfile.missing"}
    s["temporal-ui"]["image"] = "temporalio/ui:latest"
    s["grafana"]["image"] = "grafana/grafana"
    del s["prometheus"]["image"]
    problems = checks.check_images(stack)
    one(problems, "worker", "build context ./nowhere")
    one(problems, "paper-venue", "Dockerfile.missing")
    one(problems, "temporal-ui", "pin a version")
    one(problems, "grafana", "pin a version")
    one(problems, "prometheus", "needs an image or a build")


def test_depends_on(stack: dict[str, Any]) -> None:
    s = services(stack)
    s["worker"]["depends_on"]["ledger"] = {"condition": "service_started"}
    s["grafana"]["depends_on"] = {"temporal-ui": {"condition": "service_healthy"}}
    s["temporal-ui"]["depends_on"] = {"temporal": {"condition": "service_completed_successfully"}}
    s["temporal-db"]["depends_on"] = ["temporal"]
    problems = checks.check_depends_on(stack)
    one(problems, "worker", "ledger, which is not a service")
    one(problems, "grafana", "temporal-ui has no healthcheck")
    one(problems, "temporal-ui", "temporal restarts unless-stopped")
    one(problems, "cycle", "temporal-db")


def test_healthy_dependency_on_the_image_healthcheck(stack: dict[str, Any]) -> None:
    # The worker's image has a HEALTHCHECK; disabling it in compose leaves none.
    s = services(stack)
    s["prometheus"]["depends_on"]["worker"] = {"condition": "service_healthy"}
    del s["worker"]["healthcheck"]
    assert checks.check_depends_on(stack) == []
    s["worker"]["healthcheck"] = {"disable": True}
    one(checks.check_depends_on(stack), "prometheus", "worker has no healthcheck")


def test_volumes(stack: dict[str, Any]) -> None:
    s = services(stack)
    s["ledger-db"]["volumes"] = ["ledger-data:/var/lib/postgresql/data"]
    s["grafana"]["volumes"].append("./deploy/grafana/missing:/etc/missing:ro")
    problems = checks.check_volumes(stack)
    one(problems, "ledger-db", "ledger-data is not declared")
    one(problems, "ledger-db-data is declared but no service mounts it")
    one(problems, "grafana", "./deploy/grafana/missing does not exist")


def test_secrets(stack: dict[str, Any]) -> None:
    services(stack)["worker"]["secrets"] = ["exchange-keys"]
    stack["secrets"]["rebalancer-credentials"]["file"] = "./deploy/nope.json"
    problems = checks.check_secrets(stack)
    one(problems, "worker", "exchange-keys is not declared")
    one(problems, "rebalancer-credentials is declared but no service uses it")
    one(problems, "./deploy/nope.json does not exist")


def test_container_paths(stack: dict[str, Any]) -> None:
    s = services(stack)
    s["worker"]["environment"]["REBALANCER_CREDENTIALS_FILE"] = "/etc/rebalancer/credentials.json"
    s["temporal"]["environment"]["DYNAMIC_CONFIG_FILE_PATH"] = (
        "/etc/temporal/config/dynamicconfig/development-sql.yaml"
    )
    s["temporal-schema"]["command"] = ["/scripts/setup.sh"]
    s["paper-venue"]["volumes"] = []
    problems = checks.check_container_paths(stack)
    one(problems, "worker", "REBALANCER_CREDENTIALS_FILE", "no mount provides")
    one(problems, "temporal", "development-sql.yaml does not exist")
    one(problems, "temporal-schema", "setup.sh does not exist")
    one(problems, "paper-venue", "--accounts-file", "no mount provides")


def test_host_ports(stack: dict[str, Any]) -> None:
    s = services(stack)
    s["grafana"]["ports"] = ["127.0.0.1:8080:3000"]
    s["prometheus"]["ports"] = ["9090:9090"]
    s["ledger-db"]["ports"] = ["127.0.0.1:5433:5432:1"]
    problems = checks.check_host_ports(stack)
    one(problems, "host port 8080 is also published by temporal-ui")
    one(problems, "prometheus", "must bind 127.0.0.1, not every interface")
    one(problems, "ledger-db", "expected [HOST_IP:]")


def test_healthchecks(stack: dict[str, Any]) -> None:
    s = services(stack)
    s["paper-venue"]["healthcheck"]["test"][-1] = (
        "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9999/api/v3/ping')"
    )
    s["temporal"]["healthcheck"]["test"] = ["CMD", "nc", "-z", "127.0.0.1", "7234"]
    s["ledger-db"]["healthcheck"]["test"] = ["pg_isready"]
    problems = checks.check_healthchecks(stack)
    one(problems, "paper-venue", "port 9999")
    one(problems, "temporal", "port 7234")
    one(problems, "ledger-db", "CMD or CMD-SHELL")


def test_addresses(stack: dict[str, Any]) -> None:
    s = services(stack)
    worker = s["worker"]["environment"]
    worker["REBALANCER_TEMPORAL_ADDRESS"] = "temporal:7234"
    worker["REBALANCER_PAPER_VENUE_URL"] = "http://paper_venue:8765"
    worker["DATABASE_URL"] = "postgresql://rebalancer:wrong@ledger-db:5432/ledger"
    s["temporal"]["environment"]["POSTGRES_PWD"] = "other"
    s["temporal-schema"]["environment"]["SQL_HOST"] = "postgres"
    s["temporal-ui"]["environment"]["TEMPORAL_ADDRESS"] = "temporal:7233"
    problems = checks.check_addresses(stack)
    one(problems, "worker", "temporal:7234, which temporal does not listen on")
    one(problems, "worker", "paper_venue, which is not a service")
    one(problems, "worker", "DATABASE_URL password")
    one(problems, "worker", "DATABASE_URL database")
    one(problems, "temporal:", "POSTGRES_PWD differs from temporal-db")
    one(problems, "temporal-schema", "SQL_HOST names postgres")
    assert not any("temporal-ui" in problem for problem in problems)


def test_listeners(stack: dict[str, Any]) -> None:
    s = services(stack)
    s["paper-venue"]["command"] = ["paper-venue", "--port", "8766"]
    del s["temporal"]["environment"]["BIND_ON_IP"]
    s["temporal"]["environment"]["PROMETHEUS_ENDPOINT"] = "127.0.0.1:8000"
    problems = checks.check_listeners(stack)
    one(problems, "paper-venue", "--host 127.0.0.1 is unreachable")
    one(problems, "paper-venue", "--port 8766")
    one(problems, "temporal", "BIND_ON_IP")
    one(problems, "temporal", "PROMETHEUS_ENDPOINT 127.0.0.1:8000")


def test_interpolation_without_default() -> None:
    raw = raw_compose()
    raw["services"]["worker"]["environment"]["DATABASE_URL"] = "postgresql://${LEDGER_DSN}"
    one(checks.check_interpolation(raw), "services.worker.environment.DATABASE_URL", "LEDGER_DSN")


def test_worker_env_names_are_settings(stack: dict[str, Any]) -> None:
    s = services(stack)
    s["worker"]["environment"]["REBALANCER_METRIC_PORT"] = "9464"
    s["paper-venue"]["environment"] = {"REBALANCER_PAPERVENUE_URL": "x"}
    problems = checks.check_worker_settings(stack)
    one(problems, "worker", "REBALANCER_METRIC_PORT is not a setting")
    one(problems, "paper-venue", "REBALANCER_PAPERVENUE_URL is not a setting")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"REBALANCER_LOG_FORMAT": "xml"}, "setting log_format"),
        ({"REBALANCER_METRICS_PORT": "70000"}, "setting metrics_port"),
        ({"REBALANCER_METRICS_PORT": "9465"}, "metrics port 9465 is not in its expose"),
        ({"REBALANCER_METRICS_PORT": None}, "REBALANCER_METRICS_PORT is unset"),
        ({"REBALANCER_METRICS_HOST": "127.0.0.1"}, "REBALANCER_METRICS_HOST is loopback"),
        ({"REBALANCER_METRICS_ACCOUNT_LABELS": "no"}, "must be true or false"),
        ({"DATABASE_URL": None}, "DATABASE_URL is unset"),
        ({"REBALANCER_CREDENTIALS_FILE": None}, "REBALANCER_CREDENTIALS_FILE is unset"),
        ({"REBALANCER_GRACEFUL_SHUTDOWN_SECONDS": "45"}, "must exceed the worker's graceful"),
    ],
)
def test_worker_settings_values(
    stack: dict[str, Any], change: dict[str, str | None], fragment: str
) -> None:
    env = services(stack)["worker"]["environment"]
    for key, value in change.items():
        if value is None:
            env.pop(key)
        else:
            env[key] = value
    one(checks.check_worker_settings(stack), "worker", fragment)


def test_worker_can_scale_out(stack: dict[str, Any]) -> None:
    worker = services(stack)["worker"]
    worker["container_name"] = "rebalancer-worker"
    worker["ports"] = ["127.0.0.1:9464:9464"]
    worker["healthcheck"]["test"][-1] = "print('ok')"
    problems = checks.check_worker_settings(stack)
    one(problems, "container_name prevents --scale")
    one(problems, "published host port prevents --scale")
    one(problems, "healthcheck does not probe the metrics port")


def test_no_worker_is_a_problem(stack: dict[str, Any]) -> None:
    services(stack)["worker"]["command"] = ["paper-venue"]
    one(checks.check_worker_settings(stack), "no service runs the worker")


def test_search_attributes_match_the_code() -> None:
    """The setup script registers exactly the attributes the workflow upserts."""
    from rebalancer.pipeline.search_attributes import ALL, KINDS

    service = compose()["services"]["temporal-setup"]
    script = resolve(compose(), service, service["command"][0])
    assert isinstance(script, Path)
    text = script.read_text(encoding="utf-8")
    for key in ALL:
        assert f"{key.name}:{KINDS[key]}" in text
    assert (
        environment(service)["TEMPORAL_NAMESPACE"]
        == environment(services(compose())["worker"])["REBALANCER_TEMPORAL_NAMESPACE"]
    )
