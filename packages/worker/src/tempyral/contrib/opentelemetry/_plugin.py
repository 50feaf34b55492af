"""``OpenTelemetryPlugin``: the v2 tracing set up on a client and its workers in one line."""

from __future__ import annotations

from tempyral.contrib.opentelemetry._otel_interceptor import OpenTelemetryInterceptor
from tempyral.plugin import SimplePlugin

__all__ = ["OpenTelemetryPlugin"]


class OpenTelemetryPlugin(SimplePlugin):
    """Traces a client and its workers with :py:class:`OpenTelemetryInterceptor`.

    Give it to ``Client.connect(plugins=[...])``; set the global tracer provider to one from
    :py:func:`create_tracer_provider` first. Workflow code then traces with plain OpenTelemetry
    (``opentelemetry.trace.get_tracer(__name__).start_as_current_span(...)``), spans lasting as
    long as the code they cover and surviving replays. tempyral runs workflows without a sandbox,
    so unlike the official plugin there is no passthrough to add to the workflow runner.
    """

    def __init__(self, *, add_temporal_spans: bool = False) -> None:
        """Initialize the plugin.

        Args:
            add_temporal_spans: Also make spans for Temporal's own operations
                (``StartWorkflow:<type>``, ``RunWorkflow:<type>``, ``RunActivity:<type>``...).
        """
        super().__init__(
            "OpenTelemetryPlugin",
            interceptors=[OpenTelemetryInterceptor(add_temporal_spans)],
        )
