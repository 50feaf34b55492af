"""The input dataclasses of asynchronous activity completion (names and fields as in
``temporalio.client``), apart from ``_inputs`` so that a client loads them with its first
:py:class:`AsyncActivityHandle`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tempyral.client._inputs import RpcMetadata
from tempyral.converter import DataConverter

if TYPE_CHECKING:
    from tempyral.client._activity import AsyncActivityIDReference

__all__ = [
    "CompleteAsyncActivityInput",
    "FailAsyncActivityInput",
    "HeartbeatAsyncActivityInput",
    "ReportCancellationAsyncActivityInput",
]


@dataclass
class HeartbeatAsyncActivityInput:
    """Input for :py:meth:`OutboundInterceptor.heartbeat_async_activity`."""

    id_or_token: AsyncActivityIDReference | bytes
    details: Sequence[Any]
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None
    data_converter_override: DataConverter | None = None


@dataclass
class CompleteAsyncActivityInput:
    """Input for :py:meth:`OutboundInterceptor.complete_async_activity`."""

    id_or_token: AsyncActivityIDReference | bytes
    result: Any | None
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None
    data_converter_override: DataConverter | None = None


@dataclass
class FailAsyncActivityInput:
    """Input for :py:meth:`OutboundInterceptor.fail_async_activity`."""

    id_or_token: AsyncActivityIDReference | bytes
    error: Exception
    last_heartbeat_details: Sequence[Any]
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None
    data_converter_override: DataConverter | None = None


@dataclass
class ReportCancellationAsyncActivityInput:
    """Input for :py:meth:`OutboundInterceptor.report_cancellation_async_activity`."""

    id_or_token: AsyncActivityIDReference | bytes
    details: Sequence[Any]
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None
    data_converter_override: DataConverter | None = None
