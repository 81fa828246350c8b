"""OpenTelemetry spans across client -> workflow -> activities, off unless configured.

Temporal's TracingInterceptor carries the trace context in workflow and activity headers, so
a cycle's detect, assess, place and await-fill spans hang under the workflow's span in any
OTLP backend (Jaeger, Tempo, Honeycomb).
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from temporalio.contrib.opentelemetry import TracingInterceptor

SERVICE = "rebalancer"


def tracing_interceptor(
    otlp_endpoint: str | None, exporter: SpanExporter | None = None
) -> TracingInterceptor | None:
    """An interceptor exporting to ``otlp_endpoint`` (or ``exporter``); None when neither.

    A given ``exporter`` (tests) is fed span by span; the OTLP one in batches.
    """
    if exporter is None and not otlp_endpoint:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint, insecure=True))
        )
    trace.set_tracer_provider(provider)
    return TracingInterceptor(provider.get_tracer(SERVICE))
