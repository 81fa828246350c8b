"""What a compose service declares, read from the file's data: ports, mounts, environment.

Every helper takes the interpolated compose data (``stack_files.compose()``), so the checks
can run on a copy changed in memory to prove that they fail.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from tests.deploy.stack_files import REPO

Service = dict[str, Any]
Compose = dict[str, Any]
SECRETS_DIR = PurePosixPath("/run/secrets")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def services(data: Compose) -> dict[str, Service]:
    found = data.get("services") or {}
    assert isinstance(found, dict), "services must be a mapping"
    return found


def environment(service: Service) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (str(item).partition("=") for item in env)
        return {name: value for name, _, value in pairs}
    return {str(name): "" if value is None else str(value) for name, value in env.items()}


def command(service: Service) -> list[str]:
    value = service.get("command") or []
    return shlex.split(value) if isinstance(value, str) else [str(part) for part in value]


def entrypoint(service: Service) -> list[str]:
    value = service.get("entrypoint") or []
    return shlex.split(value) if isinstance(value, str) else [str(part) for part in value]


def option(args: list[str], name: str) -> str | None:
    """The value of ``--name value`` or ``--name=value`` in an argument list."""
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


@dataclass(frozen=True)
class PortMapping:
    host_ip: str | None
    published: int | None
    target: int
    protocol: str


def port_mappings(service: Service) -> list[PortMapping]:
    """The ``ports`` entries; raises ValueError on one it cannot read."""
    mappings = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            published = entry.get("published")
            mappings.append(
                PortMapping(
                    host_ip=entry.get("host_ip"),
                    published=int(published) if published is not None else None,
                    target=int(entry["target"]),
                    protocol=str(entry.get("protocol", "tcp")),
                )
            )
            continue
        text, _, protocol = str(entry).partition("/")
        parts = text.split(":")
        if len(parts) == 1:
            mappings.append(PortMapping(None, None, int(parts[0]), protocol or "tcp"))
        elif len(parts) == 2:
            mappings.append(PortMapping(None, int(parts[0]), int(parts[1]), protocol or "tcp"))
        elif len(parts) == 3:
            mappings.append(PortMapping(parts[0], int(parts[1]), int(parts[2]), protocol or "tcp"))
        else:
            raise ValueError(f"port {entry!r}: expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT")
    return mappings


def listened_ports(service: Service) -> set[int]:
    """Container ports the service declares (``ports`` targets and ``expose``)."""
    ports = {mapping.target for mapping in port_mappings(service)}
    for entry in service.get("expose") or []:
        ports.add(int(str(entry).partition("/")[0]))
    return ports


MountKind = Literal["bind", "volume", "tmpfs", "secret"]


@dataclass(frozen=True)
class Mount:
    kind: MountKind
    source: str | None
    target: PurePosixPath
    read_only: bool


def _is_host_path(source: str) -> bool:
    return source.startswith((".", "/", "~"))


def mounts(service: Service) -> list[Mount]:
    found: list[Mount] = []
    for entry in service.get("volumes") or []:
        if isinstance(entry, dict):
            kind = entry.get("type", "volume")
            source = entry.get("source")
            found.append(
                Mount(kind, source, PurePosixPath(entry["target"]), bool(entry.get("read_only")))
            )
            continue
        parts = str(entry).split(":")
        if len(parts) == 1:
            found.append(Mount("volume", None, PurePosixPath(parts[0]), False))
            continue
        source, target = parts[0], parts[1]
        mode = parts[2] if len(parts) > 2 else "rw"
        kind_of: MountKind = "bind" if _is_host_path(source) else "volume"
        found.append(Mount(kind_of, source, PurePosixPath(target), "ro" in mode.split(",")))
    for entry in service.get("secrets") or []:
        if isinstance(entry, dict):
            name = str(entry["source"])
            target = str(entry.get("target") or name)
        else:
            name = target = str(entry)
        path = PurePosixPath(target)
        found.append(
            Mount("secret", name, path if path.is_absolute() else SECRETS_DIR / path, True)
        )
    return found


def host_path(source: str) -> Path:
    """A bind-mount or secret source, relative to the compose file as Compose reads it."""
    return Path(source).expanduser() if source.startswith(("/", "~")) else REPO / source


def resolve(data: Compose, service: Service, path: str) -> Path | Literal["volume"] | None:
    """Where ``path`` inside the service's container comes from on the host.

    A path under a bind mount or a secret maps to a host path; under a named volume to
    "volume" (content unknown until run time); elsewhere to None (the image's own files).
    The deepest mount wins, as in the container.
    """
    wanted = PurePosixPath(path)
    best: tuple[int, Mount] | None = None
    for mount in mounts(service):
        if wanted == mount.target or mount.target in wanted.parents:
            depth = len(mount.target.parts)
            if best is None or depth > best[0]:
                best = (depth, mount)
    if best is None:
        return None
    mount = best[1]
    rest = wanted.relative_to(mount.target)
    if mount.kind == "secret":
        secret = (data.get("secrets") or {}).get(mount.source) or {}
        file = secret.get("file")
        return host_path(str(file)) if file else None
    if mount.kind == "bind" and mount.source is not None:
        return host_path(mount.source) / rest
    return "volume"


def healthcheck(service: Service) -> list[str] | None:
    """The health check command, or None when there is none or it is disabled."""
    check = service.get("healthcheck")
    if not check or check.get("disable"):
        return None
    test = check.get("test")
    if isinstance(test, str):
        return ["CMD-SHELL", test]
    if not test or test[0] == "NONE":
        return None
    return [str(part) for part in test]


def built_here(service: Service) -> bool:
    """Built from this repository's Dockerfile (the rebalancer image)."""
    build = service.get("build")
    if build is None:
        return False
    context = build if isinstance(build, str) else build.get("context", ".")
    return host_path(str(context)).resolve() == REPO


DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us)")
UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 0.000001}


def seconds(duration: str) -> float:
    """A Compose duration ("1m30s", "30s") in seconds."""
    text = duration.strip()
    parts = DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"{duration!r} is not a duration like 30s or 1m30s")
    return sum(float(number) * UNIT_SECONDS[unit] for number, unit in parts)
