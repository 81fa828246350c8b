"""Connect to Temporal the same way everywhere: pydantic converter, TLS or API key."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from rebalancer.domain.errors import InvalidInput, RebalancerError
from rebalancer.runtime.config import Settings


class TemporalUnavailable(RebalancerError):
    pass


def tls_config(settings: Settings) -> TLSConfig | bool:
    if not settings.temporal_tls and settings.temporal_tls_client_cert is None:
        # Temporal Cloud with an API key needs TLS without client certificates.
        return settings.temporal_api_key is not None
    return TLSConfig(
        server_root_ca_cert=_read("temporal_tls_server_ca", settings.temporal_tls_server_ca),
        client_cert=_read("temporal_tls_client_cert", settings.temporal_tls_client_cert),
        client_private_key=_read("temporal_tls_client_key", settings.temporal_tls_client_key),
    )


def _read(setting: str, path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidInput(
            f"setting {setting} (env REBALANCER_{setting.upper()})",
            f"cannot read {path}: {error.strerror}",
        ) from None


async def connect(
    settings: Settings,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    tls = tls_config(settings)
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=pydantic_data_converter,
            tls=tls,
            api_key=(
                settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
            ),
            runtime=runtime,
            interceptors=interceptors,
        )
    except ValueError as error:
        # The SDK parses the address as a URL: "::::" or "host:port:extra" end here.
        raise InvalidInput(
            "setting temporal_address (env REBALANCER_TEMPORAL_ADDRESS)",
            f"{settings.temporal_address!r} is not host:port ({error})",
        ) from None
    except RuntimeError as error:
        raise TemporalUnavailable(
            f"cannot reach Temporal at {settings.temporal_address} "
            f"(REBALANCER_TEMPORAL_ADDRESS; `rebalancer dev up` starts a local one): {error}"
        ) from None
