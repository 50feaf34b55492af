"""Nexus operation handlers under the caller's trace, for both tracing interceptors.

The caller sends its OpenTelemetry context in the Nexus request's headers (plain strings, not
payloads). Each operation a worker runs is wrapped as the official contrib wraps it: a
``RunStartNexusOperationHandler:<service>/<operation>`` or
``RunCancelNexusOperationHandler:<service>/<operation>`` server span under that context.
:py:class:`TracingInterceptor` always makes the span; :py:class:`OpenTelemetryInterceptor`
attaches the context and makes the span only with ``add_temporal_spans``. Each passes how it
opens a span as ``open_span``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from tempyral.worker import (
    ExecuteNexusOperationCancelInput,
    ExecuteNexusOperationStartInput,
    NexusOperationInboundInterceptor,
)

__all__ = ["NexusHandlerTracing", "OpenSpan"]

OpenSpan = Callable[[str, Mapping[str, str]], AbstractContextManager[Any]]
"""``open_span(name, nexus_headers)``: the span (or just the context) around one handler call."""


class NexusHandlerTracing(NexusOperationInboundInterceptor):
    """Runs each Nexus start and cancel handler inside ``open_span``."""

    def __init__(self, next: NexusOperationInboundInterceptor, open_span: OpenSpan) -> None:
        super().__init__(next)
        self._open_span = open_span

    async def execute_nexus_operation_start(self, input: ExecuteNexusOperationStartInput) -> Any:
        name = f"RunStartNexusOperationHandler:{input.ctx.service}/{input.ctx.operation}"
        with self._open_span(name, input.ctx.headers):
            return await super().execute_nexus_operation_start(input)

    async def execute_nexus_operation_cancel(self, input: ExecuteNexusOperationCancelInput) -> None:
        name = f"RunCancelNexusOperationHandler:{input.ctx.service}/{input.ctx.operation}"
        with self._open_span(name, input.ctx.headers):
            await super().execute_nexus_operation_cancel(input)
