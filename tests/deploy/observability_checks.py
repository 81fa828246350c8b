"""Prometheus and Grafana as the compose stack wires them: configs read through the mounts.

Reading each config through the service's own mounts (not from a fixed path) is the point:
a config nobody mounts, or mounted where the service does not look, fails here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.deploy.compose_checks import Problems, worker_services
from tests.deploy.compose_model import (
    Compose,
    Service,
    command,
    environment,
    listened_ports,
    option,
    resolve,
    services,
)
from tests.deploy.stack_files import load_yaml

PROMETHEUS_CONFIG = "/etc/prometheus/prometheus.yml"
GRAFANA_PROVISIONING = "/etc/grafana/provisioning"


def _services_with_image(data: Compose, prefix: str) -> dict[str, Service]:
    return {
        name: service
        for name, service in services(data).items()
        if str(service.get("image", "")).startswith(prefix)
    }


def prometheus_config(data: Compose) -> tuple[dict[str, Any] | None, Problems]:
    found = _services_with_image(data, "prom/prometheus:")
    if len(found) != 1:
        return None, [f"expected one prom/prometheus service, found {len(found)}"]
    name, service = next(iter(found.items()))
    path = option(command(service), "--config.file") or PROMETHEUS_CONFIG
    source = resolve(data, service, path)
    if not isinstance(source, Path) or not source.is_file():
        return None, [f"{name}: --config.file {path} is not a file any bind mount provides"]
    config = load_yaml(source)
    if not isinstance(config, dict):
        return None, [f"{name}: {source.name} is not a mapping"]
    return config, []


def scrape_targets(config: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(job, host, port) for every static target and DNS-discovered name."""
    targets = []
    for job in config.get("scrape_configs") or []:
        name = str(job.get("job_name"))
        for static in job.get("static_configs") or []:
            for target in static.get("targets") or []:
                host, _, port = str(target).rpartition(":")
                targets.append((name, host, int(port)))
        for dns in job.get("dns_sd_configs") or []:
            for host in dns.get("names") or []:
                targets.append((name, str(host), int(dns.get("port", 0))))
    return targets


def exporters(data: Compose) -> dict[str, int]:
    """Service -> the port its metrics are served on: workers and Temporal servers."""
    found = {}
    for name, service in worker_services(data).items():
        port = environment(service).get("REBALANCER_METRICS_PORT")
        if port:
            found[name] = int(port)
    for name, service in _services_with_image(data, "temporalio/server:").items():
        endpoint = environment(service).get("PROMETHEUS_ENDPOINT")
        if endpoint:
            found[name] = int(endpoint.rpartition(":")[2])
    return found


def check_prometheus(data: Compose, config: dict[str, Any]) -> Problems:
    problems = []
    known = services(data)
    scraped: set[tuple[str, int]] = set()
    jobs = [str(job.get("job_name")) for job in config.get("scrape_configs") or []]
    if len(jobs) != len(set(jobs)):
        problems.append("prometheus: job names must be unique")
    for job, host, port in scrape_targets(config):
        if host not in known:
            problems.append(f"prometheus job {job}: target {host} is not a compose service")
        elif port not in listened_ports(known[host]):
            problems.append(f"prometheus job {job}: {host} does not listen on {port}")
        scraped.add((host, port))
    for name, port in exporters(data).items():
        if (name, port) not in scraped:
            problems.append(f"prometheus: nothing scrapes {name} on its metrics port {port}")
    return problems


@dataclass
class Provisioning:
    datasource_uids: set[str] = field(default_factory=set)
    dashboards: list[Path] = field(default_factory=list)
    problems: Problems = field(default_factory=list)


def grafana_provisioning(data: Compose) -> Provisioning:
    result = Provisioning()
    found = _services_with_image(data, "grafana/grafana:")
    if len(found) != 1:
        result.problems.append(f"expected one grafana/grafana service, found {len(found)}")
        return result
    name, service = next(iter(found.items()))
    root = resolve(data, service, GRAFANA_PROVISIONING)
    if not isinstance(root, Path) or not root.is_dir():
        result.problems.append(f"{name}: nothing mounts {GRAFANA_PROVISIONING}")
        return result
    known = services(data)
    for file in sorted((root / "datasources").glob("*.y*ml")):
        for source in (load_yaml(file) or {}).get("datasources") or []:
            uid = source.get("uid")
            if not uid:
                result.problems.append(f"{file.name}: datasource {source.get('name')} needs a uid")
                continue
            result.datasource_uids.add(str(uid))
            url = str(source.get("url", ""))
            host, _, port = url.split("//", 1)[-1].partition(":")
            port_number = int(port.split("/")[0] or 80)
            if host not in known:
                result.problems.append(
                    f"{file.name}: datasource url {url} is not a compose service"
                )
            elif port_number not in listened_ports(known[host]):
                result.problems.append(f"{file.name}: {host} does not listen on {port_number}")
    if not result.datasource_uids:
        result.problems.append(f"{name}: no datasource is provisioned")
    for file in sorted((root / "dashboards").glob("*.y*ml")):
        for provider in (load_yaml(file) or {}).get("providers") or []:
            path = str((provider.get("options") or {}).get("path", ""))
            folder = resolve(data, service, path) if path.startswith("/") else None
            if not isinstance(folder, Path) or not folder.is_dir():
                result.problems.append(
                    f"{file.name}: provider {provider.get('name')} reads {path}, "
                    "which no bind mount provides"
                )
                continue
            result.dashboards += sorted(folder.glob("*.json"))
    if not result.dashboards:
        result.problems.append(f"{name}: no dashboard JSON is provisioned")
    home = environment(service).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home:
        source = resolve(data, service, home)
        if not isinstance(source, Path) or source not in result.dashboards:
            result.problems.append(f"{name}: home dashboard {home} is not a provisioned dashboard")
    return result
