"""Consistency checks on docker-compose.temporal.yml; each returns the problems it found.

A check never raises on a bad file: it names the service, the field and the rule, so a
failing test says what to fix. Checks take the interpolated compose data, so the tests can
hand them a copy changed in memory.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, ValidationError

from rebalancer.domain.snapshot_json import describe
from rebalancer.runtime.config import Settings
from tests.deploy.compose_model import (
    LOOPBACK,
    Compose,
    Service,
    built_here,
    command,
    entrypoint,
    environment,
    healthcheck,
    host_path,
    listened_ports,
    mounts,
    option,
    port_mappings,
    resolve,
    seconds,
    services,
)
from tests.deploy.stack_files import REPO, variables

Problems = list[str]

ONE_SHOT_RESTARTS = {None, "no", "on-failure"}
# Environment variables whose value is a file the service reads: it must be mounted.
FILE_SETTINGS = {
    "REBALANCER_CREDENTIALS_FILE",
    "REBALANCER_CONFIG_FILE",
    "REBALANCER_TEMPORAL_TLS_CLIENT_CERT",
    "REBALANCER_TEMPORAL_TLS_CLIENT_KEY",
    "REBALANCER_TEMPORAL_TLS_SERVER_CA",
    "DYNAMIC_CONFIG_FILE_PATH",
    "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH",
}
FILE_OPTIONS = ("--accounts-file", "--config.file", "--data")
# Host and credentials of a PostgreSQL client, by the variable names its image reads.
POSTGRES_CLIENTS = (
    ("POSTGRES_SEEDS", "DB_PORT", "POSTGRES_USER", "POSTGRES_PWD"),
    ("SQL_HOST", "SQL_PORT", "SQL_USER", "SQL_PASSWORD"),
)
ADDRESS = re.compile(r"(?:^|//|@|,)(?P<host>[A-Za-z][A-Za-z0-9_.-]*):(?P<port>\d+)")
IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
HEALTH_PORT = re.compile(r"(?:127\.0\.0\.1|localhost)(?::|\s+)(\d+)|(?:^|\s)-p\s+(\d+)")


def _each_service(data: Compose) -> Iterator[tuple[str, Service]]:
    yield from services(data).items()


# --- images and builds ------------------------------------------------------------------


def check_images(data: Compose) -> Problems:
    problems = []
    for name, service in _each_service(data):
        build, image = service.get("build"), service.get("image")
        if build is None and image is None:
            problems.append(f"{name}: needs an image or a build")
        spec = _build(service)
        if spec is not None:
            written, context, dockerfile = spec
            if not context.is_dir():
                problems.append(f"{name}: build context {written} does not exist")
            elif not dockerfile.is_file():
                problems.append(f"{name}: build dockerfile {dockerfile.name} does not exist")
        elif image is not None:
            repository, _, tag = str(image).rpartition(":")
            if not repository or "/" in tag or tag == "latest" or not re.search(r"\d", tag):
                problems.append(f"{name}: image {image} must pin a version tag")
    return problems


# --- dependencies ---------------------------------------------------------------------


def _dependencies(service: Service) -> dict[str, str]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return {str(target): "service_started" for target in depends}
    return {
        str(target): str((spec or {}).get("condition", "service_started"))
        for target, spec in depends.items()
    }


def has_healthcheck(service: Service) -> bool:
    check = service.get("healthcheck")
    if check is not None:
        return healthcheck(service) is not None
    # Without a healthcheck key the image's own HEALTHCHECK applies.
    dockerfile = _dockerfile(service)
    if dockerfile is None or not dockerfile.is_file():
        return False
    return "\nHEALTHCHECK " in "\n" + dockerfile.read_text(encoding="utf-8")


def _build(service: Service) -> tuple[str, Path, Path] | None:
    """(context as written, context, Dockerfile) of a service that builds its image."""
    build = service.get("build")
    if build is None:
        return None
    spec = {"context": build} if isinstance(build, str) else build
    written = str(spec.get("context", "."))
    context = host_path(written)
    return written, context, context / str(spec.get("dockerfile", "Dockerfile"))


def _dockerfile(service: Service) -> Path | None:
    build = _build(service)
    return build[2] if build else None


def check_depends_on(data: Compose) -> Problems:
    problems = []
    known = services(data)
    for name, service in known.items():
        for target, condition in _dependencies(service).items():
            if target not in known:
                problems.append(f"{name}: depends_on {target}, which is not a service")
                continue
            if target == name:
                problems.append(f"{name}: depends on itself")
            other = known[target]
            if condition == "service_healthy" and not has_healthcheck(other):
                problems.append(
                    f"{name}: waits for {target} to be healthy, but {target} has no healthcheck"
                )
            elif condition == "service_completed_successfully":
                restart = str(other.get("restart", "no")).split(":")[0]
                if restart not in ONE_SHOT_RESTARTS:
                    problems.append(
                        f"{name}: waits for {target} to complete, but {target} restarts "
                        f"{other.get('restart')} and never completes"
                    )
            elif condition not in ("service_started", "service_healthy"):
                problems.append(f"{name}: depends_on {target} with unknown condition {condition}")
    problems += _cycles(known)
    return problems


def _cycles(known: dict[str, Service]) -> Problems:
    graph = {name: set(_dependencies(service)) & set(known) for name, service in known.items()}
    done: set[str] = set()
    problems: Problems = []

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            problems.append("depends_on cycle: " + " -> ".join([*path[path.index(name) :], name]))
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return problems


# --- volumes, secrets, mounts -----------------------------------------------------------


def _undeclared(data: Compose, kind: str, declared: set[str]) -> tuple[Problems, set[str]]:
    """Mounts of `kind` that the top-level section does not declare; and every name mounted."""
    problems = []
    used: set[str] = set()
    for name, service in _each_service(data):
        for mount in mounts(service):
            if mount.kind == kind and mount.source is not None:
                used.add(mount.source)
                if mount.source not in declared:
                    problems.append(f"{name}: {kind} {mount.source} is not declared under {kind}s")
    return problems, used


def check_volumes(data: Compose) -> Problems:
    declared = set(data.get("volumes") or {})
    problems, used = _undeclared(data, "volume", declared)
    for name, service in _each_service(data):
        for mount in mounts(service):
            bind = mount.kind == "bind" and mount.source is not None
            if bind and not host_path(str(mount.source)).exists():
                problems.append(f"{name}: bind mount source {mount.source} does not exist")
    for volume in sorted(declared - used):
        problems.append(f"volumes: {volume} is declared but no service mounts it")
    return problems


def check_secrets(data: Compose) -> Problems:
    declared = data.get("secrets") or {}
    problems, used = _undeclared(data, "secret", set(declared))
    for secret, spec in declared.items():
        if secret not in used:
            problems.append(f"secrets: {secret} is declared but no service uses it")
        file = (spec or {}).get("file")
        if not file:
            problems.append(f"secrets: {secret} needs a file")
        elif not host_path(str(file)).is_file():
            problems.append(f"secrets: {secret} file {file} does not exist")
    return problems


def _container_paths(service: Service) -> Iterator[tuple[str, str, bool]]:
    """(where, path, required) for each container path the service names."""
    env = environment(service)
    for key, value in env.items():
        if value.startswith("/"):
            yield f"environment {key}", value, key in FILE_SETTINGS
    args = entrypoint(service) + command(service)
    for opt in FILE_OPTIONS:
        given = option(args, opt)
        if given is not None:
            yield f"option {opt}", given, True
    for arg in args:
        path = arg.split("=", 1)[1] if arg.startswith("--") and "=" in arg else arg
        if path.startswith("/"):
            yield "command", path, False


def check_container_paths(data: Compose) -> Problems:
    """Files a service is told to read exist where a mount puts them."""
    problems = []
    for name, service in _each_service(data):
        for where, path, required in _container_paths(service):
            source = resolve(data, service, path)
            if source is None:
                if required:
                    problems.append(f"{name}: {where} names {path}, which no mount provides")
            elif source != "volume" and not source.exists():
                problems.append(f"{name}: {where} names {path}, but {source} does not exist")
    return problems


# --- ports and addresses ------------------------------------------------------------------


def check_host_ports(data: Compose) -> Problems:
    problems = []
    owners: dict[tuple[int, str], str] = {}
    for name, service in _each_service(data):
        try:
            mappings = port_mappings(service)
            listened_ports(service)
        except (ValueError, KeyError) as error:
            problems.append(f"{name}: {error}")
            continue
        for mapping in mappings:
            if mapping.published is None:
                problems.append(f"{name}: port {mapping.target} needs a fixed host port")
                continue
            key = (mapping.published, mapping.protocol)
            if key in owners:
                problems.append(
                    f"{name}: host port {mapping.published} is also published by {owners[key]}"
                )
            owners[key] = name
            if mapping.host_ip not in LOOPBACK:
                problems.append(
                    f"{name}: host port {mapping.published} must bind 127.0.0.1, not "
                    f"{mapping.host_ip or 'every interface'}"
                )
    return problems


def check_healthchecks(data: Compose) -> Problems:
    problems = []
    for name, service in _each_service(data):
        test = healthcheck(service)
        if service.get("healthcheck") and test is None:
            continue
        if test is None:
            continue
        if test[0] not in ("CMD", "CMD-SHELL"):
            problems.append(f"{name}: healthcheck test must start with CMD or CMD-SHELL")
        text = " ".join(test[1:])
        for match in HEALTH_PORT.finditer(text):
            port = int(match.group(1) or match.group(2))
            if port not in listened_ports(service):
                problems.append(
                    f"{name}: healthcheck probes port {port}, which it does not listen on"
                )
    return problems


def _postgres_env(service: Service) -> dict[str, str]:
    return environment(service) if str(service.get("image", "")).startswith("postgres:") else {}


def check_addresses(data: Compose) -> Problems:
    """host:port in any setting names a service that listens there; database logins agree."""
    problems = []
    known = services(data)
    for name, service in known.items():
        env = environment(service)
        for key, value in env.items():
            for match in ADDRESS.finditer(value):
                host, port = match.group("host"), int(match.group("port"))
                if host in LOOPBACK or IP.match(host):
                    continue
                if host not in known:
                    problems.append(f"{name}: {key} points at {host}, which is not a service")
                elif port not in listened_ports(known[host]):
                    problems.append(
                        f"{name}: {key} points at {host}:{port}, which {host} does not listen on"
                    )
            if value.startswith(("postgres://", "postgresql://")):
                problems += _database_url(name, key, value, known)
        for host_key, port_key, user_key, password_key in POSTGRES_CLIENTS:
            if host_key not in env:
                continue
            host = env[host_key]
            target = known.get(host)
            if target is None:
                problems.append(f"{name}: {host_key} names {host}, which is not a service")
                continue
            port = int(env.get(port_key) or 5432)
            if port not in listened_ports(target):
                problems.append(f"{name}: {port_key} {port} is not a port {host} listens on")
            server = _postgres_env(target)
            if env.get(user_key) != server.get("POSTGRES_USER"):
                problems.append(f"{name}: {user_key} differs from {host}'s POSTGRES_USER")
            if env.get(password_key) != server.get("POSTGRES_PASSWORD"):
                problems.append(f"{name}: {password_key} differs from {host}'s POSTGRES_PASSWORD")
    return problems


def _database_url(name: str, key: str, url: str, known: dict[str, Service]) -> Problems:
    parts = urlsplit(url)
    target = known.get(parts.hostname or "")
    if target is None:
        return []  # the host check above reports it
    server = _postgres_env(target)
    if not server:
        return [f"{name}: {key} points at {parts.hostname}, which is not a postgres service"]
    expected = {
        "user": server.get("POSTGRES_USER"),
        "password": server.get("POSTGRES_PASSWORD"),
        "database": server.get("POSTGRES_DB") or server.get("POSTGRES_USER"),
    }
    found = {"user": parts.username, "password": parts.password, "database": parts.path.lstrip("/")}
    return [
        f"{name}: {key} {field} does not match {parts.hostname}'s POSTGRES_{field.upper()}"
        for field in expected
        if expected[field] != found[field]
    ]


def check_listeners(data: Compose) -> Problems:
    """Servers other containers reach bind a non-loopback address, on a declared port."""
    problems = []
    for name, service in _each_service(data):
        env = environment(service)
        args = command(service)
        if built_here(service) and args[:1] == ["paper-venue"]:
            host, port = option(args, "--host") or "127.0.0.1", option(args, "--port") or "8765"
            if host in LOOPBACK:
                problems.append(
                    f"{name}: paper-venue --host {host} is unreachable from other containers"
                )
            if int(port) not in listened_ports(service):
                problems.append(f"{name}: paper-venue --port {port} is not in its expose or ports")
        if str(service.get("image", "")).startswith("temporalio/server:"):
            if env.get("BIND_ON_IP", "127.0.0.1") in LOOPBACK:
                problems.append(f"{name}: BIND_ON_IP must not be loopback (the server's default)")
            endpoint = env.get("PROMETHEUS_ENDPOINT")
            if endpoint:
                host, _, port = endpoint.rpartition(":")
                if host in LOOPBACK or int(port) not in listened_ports(service):
                    problems.append(f"{name}: PROMETHEUS_ENDPOINT {endpoint} is not reachable")
    return problems


# --- interpolation ----------------------------------------------------------------------


def check_interpolation(raw: Compose) -> Problems:
    """Every ${VAR} has a default, so `up` works with no .env file."""
    problems = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, str):
            for variable in variables(value):
                if not variable.has_default:
                    problems.append(f"{where}: ${{{variable.name}}} has no default")
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}" if where else str(key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")

    walk(raw, "")
    return problems


# --- the worker's settings --------------------------------------------------------------


@functools.cache
def read_env_names() -> frozenset[str]:
    """REBALANCER_* names the code reads with os.environ / os.getenv besides Settings."""
    names: set[str] = set()
    sources = [*REPO.glob("rebalancer/**/*.py"), REPO / "worker.py"]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            key: ast.expr | None = None
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                if (isinstance(func, ast.Attribute) and func.attr in ("get", "getenv")) or (
                    isinstance(func, ast.Name) and func.id == "getenv"
                ):
                    key = node.args[0]
            elif isinstance(node, ast.Subscript):
                key = node.slice
            if (
                isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and re.fullmatch(r"REBALANCER_[A-Z0-9_]+", key.value)
            ):
                names.add(key.value)
    return frozenset(names)


def settings_env_names() -> dict[str, str]:
    """Environment name -> Settings field, as pydantic-settings reads them."""
    names = {f"REBALANCER_{field.upper()}": field for field in Settings.model_fields}
    for field, info in Settings.model_fields.items():
        if isinstance(info.validation_alias, AliasChoices):
            for choice in info.validation_alias.choices:
                if isinstance(choice, str) and choice.isupper():
                    names[choice] = field
    return names


def worker_services(data: Compose) -> dict[str, Service]:
    """Services that run `rebalancer worker` from this repository's image."""
    found = {}
    for name, service in _each_service(data):
        if built_here(service) and (command(service) or ["worker"])[:1] == ["worker"]:
            found[name] = service
    return found


def check_worker_settings(data: Compose) -> Problems:
    problems = []
    fields = settings_env_names()
    known = set(fields) | read_env_names()
    workers = worker_services(data)
    if not workers:
        problems.append("no service runs the worker from this repository's Dockerfile")
    for name, service in _each_service(data):
        if not built_here(service):
            continue
        env = environment(service)
        for key in env:
            if (key.startswith("REBALANCER_") or key == "DATABASE_URL") and key not in known:
                problems.append(f"{name}: {key} is not a setting (rebalancer/runtime/config.py)")
    for name, service in workers.items():
        env = environment(service)
        values = {fields[key]: value for key, value in env.items() if key in fields}
        try:
            settings = Settings.model_validate(values)
        except ValidationError as error:
            problem = describe(error)
            problems.append(f"{name}: setting {problem.field}: {problem.rule}")
            continue
        if settings.database_url is None:
            problems.append(
                f"{name}: DATABASE_URL is unset: the worker refuses to start without a ledger"
            )
        port = settings.metrics_port
        if port is None:
            problems.append(
                f"{name}: REBALANCER_METRICS_PORT is unset: Prometheus has nothing to scrape"
            )
        elif port not in listened_ports(service):
            problems.append(f"{name}: metrics port {port} is not in its expose or ports")
        else:
            test = " ".join(healthcheck(service) or [])
            if f":{port}/metrics" not in test and "REBALANCER_METRICS_PORT" not in test:
                problems.append(f"{name}: healthcheck does not probe the metrics port {port}")
        if settings.metrics_host in LOOPBACK:
            problems.append(
                f"{name}: REBALANCER_METRICS_HOST is loopback: Prometheus cannot reach it"
            )
        labels = env.get("REBALANCER_METRICS_ACCOUNT_LABELS", "true").lower()
        if labels not in ("true", "false"):
            problems.append(f"{name}: REBALANCER_METRICS_ACCOUNT_LABELS must be true or false")
        if settings.credentials_file is None:
            problems.append(f"{name}: REBALANCER_CREDENTIALS_FILE is unset")
        grace = seconds(str(service.get("stop_grace_period", "10s")))
        if grace <= settings.graceful_shutdown_seconds:
            problems.append(
                f"{name}: stop_grace_period {grace:g}s must exceed the worker's graceful "
                f"shutdown of {settings.graceful_shutdown_seconds}s"
            )
        if str(service.get("container_name") or ""):
            problems.append(f"{name}: a container_name prevents --scale {name}=N")
        if any(mapping.published for mapping in port_mappings(service)):
            problems.append(f"{name}: a published host port prevents --scale {name}=N")
    return problems
