"""Inputs of the standalone Nexus operation calls of :py:class:`OutboundInterceptor` (names and
fields as in ``temporalio.client``).

A standalone Nexus operation is started by a client rather than by a workflow. Each call of a
``NexusClient``, a ``NexusOperationHandle`` or the ``Client`` builds one of these and passes it
down the interceptor chain.

.. warning::
    This API is experimental and unstable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tempyral.common import (
    NexusOperationIDConflictPolicy,
    NexusOperationIDReusePolicy,
    TypedSearchAttributes,
)

__all__ = [
    "CancelNexusOperationInput",
    "CountNexusOperationsInput",
    "DescribeNexusOperationInput",
    "GetNexusOperationResultInput",
    "ListNexusOperationsInput",
    "StartNexusOperationInput",
    "TerminateNexusOperationInput",
]


@dataclass
class StartNexusOperationInput:
    """Input for :py:meth:`OutboundInterceptor.start_nexus_operation`."""

    operation: str
    arg: Any
    id: str
    endpoint: str
    service: str
    result_type: type | None
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    id_reuse_policy: NexusOperationIDReusePolicy
    id_conflict_policy: NexusOperationIDConflictPolicy
    search_attributes: TypedSearchAttributes | None
    summary: str | None
    headers: Mapping[str, str]
    """Nexus headers of the start request (plain strings, not payloads)."""
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class DescribeNexusOperationInput:
    """Input for :py:meth:`OutboundInterceptor.describe_nexus_operation`."""

    operation_id: str
    run_id: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class GetNexusOperationResultInput:
    """Input for :py:meth:`OutboundInterceptor.get_nexus_operation_result`."""

    operation_id: str
    run_id: str | None
    endpoint: str
    """Endpoint, service and operation are all set (a handle from ``start_operation``) or all
    empty (a handle by id alone); the result is converted with their serialization context
    only when set."""
    service: str
    operation: str
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
    result_type: type[Any] | None


@dataclass
class CancelNexusOperationInput:
    """Input for :py:meth:`OutboundInterceptor.cancel_nexus_operation`."""

    operation_id: str
    run_id: str | None
    reason: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class TerminateNexusOperationInput:
    """Input for :py:meth:`OutboundInterceptor.terminate_nexus_operation`."""

    operation_id: str
    run_id: str | None
    reason: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class ListNexusOperationsInput:
    """Input for :py:meth:`OutboundInterceptor.list_nexus_operations`."""

    query: str | None
    page_size: int
    next_page_token: bytes | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
    limit: int | None


@dataclass
class CountNexusOperationsInput:
    """Input for :py:meth:`OutboundInterceptor.count_nexus_operations`."""

    query: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
