"""All configuration in one pydantic-settings model.

Sources, highest first: keyword arguments, environment (prefix ``REBALANCER_``; the database
also reads plain ``DATABASE_URL``), then the YAML or JSON file named by
``REBALANCER_CONFIG_FILE``. An invalid value fails at start with the setting's name.

This module is the one place rebalancer reads its own environment variables. What stays
outside ``Settings``: ``REBALANCER_CONFIG_FILE`` (it names where the settings are), an
account's credential variables (their names derive from the account id:
``rebalancer.venue.credentials``), the paper venue's own secrets (a separate program:
``rebalancer.paper.admin_token``, ``rebalancer.cli.paper_venue``), and the platform's
``XDG_*`` directories.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.snapshot_json import describe
from rebalancer.domain.text_files import parse_json, parse_yaml, read_text_file

# The database URL's variables, in the order Settings reads them.
DATABASE_URL_VARIABLES = ("REBALANCER_DATABASE_URL", "DATABASE_URL")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REBALANCER_", extra="forbid", frozen=True)

    # Temporal
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = Field(default="rebalancer", min_length=1)
    temporal_api_key: SecretStr | None = None
    temporal_tls: bool = False
    temporal_tls_client_cert: Path | None = None
    temporal_tls_client_key: Path | None = None
    temporal_tls_server_ca: Path | None = None
    # Worker concurrency. The upper bounds are far past any useful value; they turn a typo
    # of many digits into a refusal naming the setting instead of an overflow in the SDK.
    max_concurrent_activities: int = Field(default=500, ge=1, le=100_000)
    # Workflow tasks are Python run under the GIL, one thread each: past a few dozen threads
    # they only queue behind each other, and the convoy shows up as seconds of timer lag
    # (docs/performance.md). Local activities (the reads) run inside these tasks.
    max_concurrent_workflow_tasks: int = Field(default=32, ge=1, le=10_000)
    # Watched accounts (the default) run a task only when woken or every two days: keeping
    # them all cached would cost ~0.3 MB each for nothing, and a woken one replays a short
    # history. A fleet of unwatched accounts checking every minute wants its whole size here.
    max_cached_workflows: int = Field(default=2_000, ge=0, le=10_000_000)
    graceful_shutdown_seconds: int = Field(default=15, ge=0, le=86_400)
    # Garbage collection (rebalancer/runtime/gc_policy.py): freeze long-lived objects at this
    # period so full collections skip the workflow cache; 0 leaves CPython's default.
    # Everything is unfrozen and collected once per full period
    gc_freeze_seconds: float = Field(default=60, ge=0, le=86_400, allow_inf_nan=False)
    gc_full_collection_seconds: float = Field(
        default=3600, gt=0, le=7 * 86_400, allow_inf_nan=False
    )
    # ... and sooner, once the frozen generation has grown by this share since the last one.
    gc_full_collection_growth: float = Field(default=0.5, gt=0, le=100, allow_inf_nan=False)
    # Temporal's workflow sandbox: on by default; off trades that safety net for memory.
    workflow_sandbox: bool = True
    # Ledger. A worker without a database URL refuses to start (it never invents a ledger)
    # unless embedded_database asks for the embedded PostgreSQL under the state directory.
    database_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(*DATABASE_URL_VARIABLES, "database_url"),
    )
    embedded_database: bool = False
    db_pool_min: int = Field(default=2, ge=1, le=1_000)
    db_pool_max: int = Field(default=20, ge=1, le=1_000)
    # Venues
    paper_venue_url: str = "http://127.0.0.1:8765"
    # Gateways kept open per worker (least recently used close first): ~0.25 MB each.
    max_open_gateways: int = Field(default=2000, ge=1, le=10_000_000)
    credentials_file: Path | None = None
    # Local state (embedded PostgreSQL, dev stack, credentials, tokens); unset: the platform's
    # state directory (rebalancer/runtime/paths.py).
    state_dir: Path | None = None
    # Telemetry
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # Loopback unless told: /metrics has no authentication, and a port set for a local
    # Prometheus should not open it to the network. Containers set 0.0.0.0 explicitly.
    metrics_host: str = "127.0.0.1"
    log_format: Literal["json", "pretty"] = "pretty"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    otlp_endpoint: str | None = None
    # An account label on the per-account metrics; false folds every account into "*" for
    # very large fleets (docs/operations.md).
    metrics_account_labels: bool = True

    @model_validator(mode="after")
    def _pairs(self) -> Settings:
        if (self.temporal_tls_client_cert is None) != (self.temporal_tls_client_key is None):
            raise InvalidInput(
                "temporal_tls_client_key", "comes together with temporal_tls_client_cert"
            )
        if self.db_pool_min > self.db_pool_max:
            raise InvalidInput("db_pool_min", "must not exceed db_pool_max")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file_values = _read_config_file(os.environ.get("REBALANCER_CONFIG_FILE"))
        return (
            init_settings,
            env_settings,
            InitSettingsSource(settings_cls, init_kwargs=file_values),
        )


# REBALANCER_* variables read outside Settings (module doc): no account's credential
# variables may take their names.
OTHER_ENV_NAMES = frozenset(
    {
        "REBALANCER_CONFIG_FILE",
        # The paper venue's own secrets (rebalancer/cli/paper_venue.py, paper/admin_token.py).
        "REBALANCER_PAPER_API_SECRET",
        "REBALANCER_PAPER_ADMIN_TOKEN",
    }
)


def setting_env_names() -> frozenset[str]:
    """Every environment variable name that configures rebalancer itself."""
    names = {f"REBALANCER_{name.upper()}" for name in Settings.model_fields}
    for info in Settings.model_fields.values():
        if isinstance(info.validation_alias, AliasChoices):
            names |= {
                choice.upper()
                for choice in info.validation_alias.choices
                if isinstance(choice, str) and choice.upper().startswith("REBALANCER_")
            }
    return frozenset(names | OTHER_ENV_NAMES)


def _read_config_file(name: str | None) -> dict[str, Any]:
    if not name:
        return {}
    path = Path(name)
    text = read_text_file(path, "REBALANCER_CONFIG_FILE", "settings file")
    field = f"REBALANCER_CONFIG_FILE {path}"
    # Settings take floats (timeouts, intervals): this file's numbers are read as JSON's.
    data = (
        parse_json(text, field, parse_float=float)
        if path.suffix == ".json"
        else parse_yaml(text, field)
    )
    if not isinstance(data, dict):
        raise InvalidInput("REBALANCER_CONFIG_FILE", f"{path} must hold a mapping of settings")
    return data


def load_settings(**overrides: Any) -> Settings:
    """Settings from every source; a bad value raises InvalidInput naming the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problem = describe(error)
        name = problem.field
        raise InvalidInput(
            f"setting {name} (env REBALANCER_{name.upper()})", problem.rule
        ) from None


def database_url_variable() -> str | None:
    """The variable the database URL comes from, if one is set: where a message may send the
    reader for the password instead of printing it."""
    return next((name for name in DATABASE_URL_VARIABLES if os.environ.get(name, "").strip()), None)
