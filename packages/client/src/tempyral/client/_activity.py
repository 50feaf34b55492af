"""Completing activities from outside a worker: :py:class:`AsyncActivityHandle`.

An activity that calls ``activity.raise_complete_async()`` is finished later by whoever holds its
task token, or its workflow id, run id and activity id. Token handles use the
``RecordActivityTaskHeartbeat`` / ``RespondActivityTask*`` RPCs; id handles use their ``*ById``
twins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

from tempyral.client._async_activity_inputs import (
    CompleteAsyncActivityInput,
    FailAsyncActivityInput,
    HeartbeatAsyncActivityInput,
    ReportCancellationAsyncActivityInput,
)
from tempyral.client._helpers import NO_METADATA
from tempyral.client._inputs import RpcMetadata
from tempyral.common import _arg_unset
from tempyral.converter import DataConverter, SerializationContext, WithSerializationContext

if TYPE_CHECKING:
    from tempyral.client._client import Client

__all__ = ["AsyncActivityHandle", "AsyncActivityIDReference"]


@dataclass
class AsyncActivityIDReference:
    """The ids of an activity run by a workflow (or of a standalone activity)."""

    workflow_id: str | None
    run_id: str | None
    activity_id: str


class AsyncActivityHandle(WithSerializationContext):
    """Handle to heartbeat, complete, fail or cancel an activity completed asynchronously."""

    def __init__(
        self,
        client: Client,
        id_or_token: AsyncActivityIDReference | bytes,
        data_converter_override: DataConverter | None = None,
    ) -> None:
        """Create the handle; use ``Client.get_async_activity_handle`` instead."""
        self._client = client
        self._id_or_token = id_or_token
        self._data_converter_override = data_converter_override

    async def heartbeat(
        self,
        *details: Any,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Record a heartbeat with ``details``.

        Raises:
            AsyncActivityCancelledError: The activity was cancelled, paused or reset; report the
                cancellation with :py:meth:`report_cancellation`.
        """
        await self._client._impl.heartbeat_async_activity(
            HeartbeatAsyncActivityInput(
                id_or_token=self._id_or_token,
                details=details,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                data_converter_override=self._data_converter_override,
            )
        )

    async def complete(
        self,
        result: Any | None = _arg_unset,
        *,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Complete the activity with ``result`` (no result when not given)."""
        await self._client._impl.complete_async_activity(
            CompleteAsyncActivityInput(
                id_or_token=self._id_or_token,
                result=result,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                data_converter_override=self._data_converter_override,
            )
        )

    async def fail(
        self,
        error: Exception,
        *,
        last_heartbeat_details: Sequence[Any] = (),
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Fail the activity with ``error`` (an ``ApplicationError`` keeps its type and details)."""
        await self._client._impl.fail_async_activity(
            FailAsyncActivityInput(
                id_or_token=self._id_or_token,
                error=error,
                last_heartbeat_details=last_heartbeat_details,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                data_converter_override=self._data_converter_override,
            )
        )

    async def report_cancellation(
        self,
        *details: Any,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Report the activity as cancelled, with ``details``."""
        await self._client._impl.report_cancellation_async_activity(
            ReportCancellationAsyncActivityInput(
                id_or_token=self._id_or_token,
                details=details,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                data_converter_override=self._data_converter_override,
            )
        )

    def with_context(self, context: SerializationContext) -> Self:
        """This handle with its payloads converted in ``context`` (e.g. the
        ``ActivitySerializationContext`` the activity's worker decodes them with)."""
        data_converter = self._client.data_converter.with_context(context)
        if data_converter is self._client.data_converter:
            return self
        cls = type(self)
        if cls.__init__ is not AsyncActivityHandle.__init__:
            raise TypeError(
                "A subclass of AsyncActivityHandle that overrides __init__ must also override "
                "with_context to return an instance of itself"
            )
        return cls(self._client, self._id_or_token, data_converter)
