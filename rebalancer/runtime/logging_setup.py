"""structlog for every process: JSON in production, readable in dev, secrets redacted.

The standard library's loggers (temporalio, asyncpg, aiohttp) are routed through the same
processors, so a secret cannot reach a log line by way of a library either.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

# Keys whose values are never logged, whatever their type.
SECRET_KEYS = re.compile(r"(secret|password|passwd|api[_-]?key|token|signature|private)", re.I)
REDACTED = "***"
# Names that mark the value after them as a secret inside free text: a DSN's ``?password=``
# or libpq ``password=``, a signed query string, a header or a dict repr in a traceback.
_SECRET_NAME = (
    r"(?:ssl)?password|passwd|pwd|(?:api[_-]?)?secret|api[_-]?key|apikey|x-mbx-apikey"
    r"|signature|(?:access|refresh|auth)?[_-]?token"
)
# A quoted value (libpq allows \' inside single quotes), else everything up to a delimiter.
_VALUE = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&'",;)}\]]+"""
SECRET_IN_TEXT = (
    # URL userinfo, with or without a user name. The password may hold a raw "@": the
    # authority ends at the last "@" before the path.
    (re.compile(r"(://[^:/@\s]*:)[^\s/?#]*?@(?![^\s/?#]*@)"), r"\1***@"),
    # name=value (query strings, libpq keyword DSNs, kwargs reprs), any case, and as the end
    # of a longer name (client_secret=).
    (re.compile(rf"((?:{_SECRET_NAME})\s*=\s*)(?:{_VALUE})", re.I), r"\1***"),
    # 'name': 'value' and "name": "value" (dict reprs and JSON), and "Name: value" headers.
    (
        re.compile(rf"""((['"])[\w-]*(?:{_SECRET_NAME})\2\s*:\s*)(?:{_VALUE})""", re.I),
        r"\1***",
    ),
    (re.compile(r"(\bx-mbx-apikey\s*:\s*)[^\s,;]+", re.I), r"\1***"),
)


def redact_text(text: str) -> str:
    """``text`` with every credential it recognises replaced by ``***``."""
    for pattern, replacement in SECRET_IN_TEXT:
        text = pattern.sub(replacement, text)
    return text


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: REDACTED if SECRET_KEYS.search(str(k)) else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value


def redact_secrets(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event):
        event[key] = REDACTED if SECRET_KEYS.search(key) else _scrub(event[key])
    return event


def configure_logging(fmt: str = "pretty", level: str = "INFO") -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        redact_secrets,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                # Again, now that the traceback is text: exception messages and reprs carry
                # DSNs and signed URLs that no key name gave away before formatting.
                redact_secrets,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for noisy in ("aiohttp.access", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
