"""Per-workflow time skipping on a real server: :py:class:`TimeSkipper` (experimental).

The server (1.32+, with dynamic config ``frontend.WorkflowTimeSkippingEnabled`` on) keeps a
virtual clock per workflow: with skipping enabled it fires the workflow's next timer as soon as
nothing else is pending, instead of waiting. :py:class:`TimeSkipper` wraps a client so that
every workflow it starts carries a :py:class:`TimeSkippingConfig`, and fast-forwards running
workflows (``UpdateWorkflowExecutionOptions``, then the ``PollWorkflowExecutionTimeSkipping``
long poll). Unlike the Java test server's global clock, other workflows keep real time.

A server without the feature refuses such a start with ``UNIMPLEMENTED`` ("The Time-Skipping
feature is not enabled for namespace"), raised as :py:class:`tempyral.service.RPCError`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from tempyral.api.common.v1 import message_pb2 as common_pb
from tempyral.api.dependencies.google.protobuf.field_mask_pb2 import FieldMask
from tempyral.api.enums.v1 import event_type_pb2
from tempyral.api.enums.v1.time_skipping_pb2 import FastForwardPollingResult
from tempyral.api.workflow.v1.message_pb2 import WorkflowExecutionOptions
from tempyral.api.workflowservice.v1 import request_response_pb2 as ws
from tempyral.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    StartWorkflowUpdateWithStartInput,
    WorkflowHandle,
    WorkflowUpdateHandle,
)

__all__ = ["FastForwardConfig", "TimeSkipper", "TimeSkippingConfig"]

_COMPLETED = FastForwardPollingResult.FAST_FORWARD_POLLING_RESULT_FAST_FORWARD_COMPLETED
_FAILED = FastForwardPollingResult.FAST_FORWARD_POLLING_RESULT_FAST_FORWARD_FAILED
# The server's failed_reason when a later fast-forward replaced the one polled for.
_OVERRIDDEN = "fast_forward_id does not match"
_RUN_CLOSED = frozenset(
    {
        event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        event_type_pb2.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }
)


@dataclass(frozen=True)
class FastForwardConfig:
    """A one-shot fast-forward of a workflow's virtual clock (experimental)."""

    id: str
    """Names this fast-forward in ``PollWorkflowExecutionTimeSkipping``."""

    duration: timedelta
    """How far to advance; skipping turns itself off when the clock gets there."""

    def _to_proto(self) -> common_pb.FastForwardConfig:
        proto = common_pb.FastForwardConfig(id=self.id)
        proto.duration.FromTimedelta(self.duration)
        return proto


@dataclass(frozen=True)
class TimeSkippingConfig:
    """How the server skips a workflow's time (experimental).

    Raises:
        ValueError: A fast-forward was given with ``enabled=False``.
    """

    enabled: bool = True
    """Skip time for the workflow."""

    fast_forward_config: FastForwardConfig | None = None
    """Skip only this far; ``None``: skip until the workflow closes (when enabled)."""

    disable_propagation: bool = False
    """Child workflows do not inherit ``enabled`` (they always inherit the virtual start time)."""

    max_session_skip_count: int = 0
    """Skips allowed before the server turns skipping off again; 0: the server's default."""

    def __post_init__(self) -> None:
        if not self.enabled and self.fast_forward_config is not None:
            raise ValueError(
                "fast_forward_config cannot be set when enabled is False: a fast-forward skips "
                "time, so set enabled=True or drop the fast-forward"
            )

    def _to_proto(self) -> common_pb.TimeSkippingConfig:
        proto = common_pb.TimeSkippingConfig(
            enabled=self.enabled,
            disable_propagation=self.disable_propagation,
            max_session_skip_count=self.max_session_skip_count,
        )
        if self.fast_forward_config is not None:
            proto.fast_forward_config.CopyFrom(self.fast_forward_config._to_proto())
        return proto


# Frozen, so one shared default is safe.
_DEFAULT_CONFIG = TimeSkippingConfig()


class TimeSkipper:
    """A client whose workflows skip time, and fast-forwards of running ones (experimental).

    ``TimeSkipper(client)`` makes a new client (:py:attr:`client`) with the given one's
    configuration plus an interceptor that stamps :py:attr:`config` on every workflow it starts
    (also by update-with-start); ``client`` itself is left as it was.
    """

    def __init__(self, client: Client, *, config: TimeSkippingConfig = _DEFAULT_CONFIG) -> None:
        """Wrap ``client``; ``config`` goes with every workflow :py:attr:`client` starts."""
        self._config = config
        self._stamping = True
        client_config = client.config()
        client_config["interceptors"] = [*client_config["interceptors"], _Stamp(self)]
        self._client = Client(**client_config)

    @property
    def client(self) -> Client:
        """The client whose started workflows carry :py:attr:`config`."""
        return self._client

    @property
    def config(self) -> TimeSkippingConfig:
        """The configuration workflows started from now on get."""
        return self._config

    @config.setter
    def config(self, value: TimeSkippingConfig) -> None:
        self._config = value

    @contextmanager
    def with_time_skipping_disabled(self) -> Iterator[None]:
        """Workflows started inside the block get no time-skipping configuration."""
        previous, self._stamping = self._stamping, False
        try:
            yield
        finally:
            self._stamping = previous

    async def fast_forward(
        self, handle: WorkflowHandle[Any, Any], duration: timedelta | float | None = None, /
    ) -> bool:
        """Advance a running workflow's clock by ``duration`` (seconds if a number), and wait.

        Returns True once the clock got there, False if the workflow (followed across retries
        and continue-as-new) closed first. With ``duration=None`` time skips without bound
        until the current run closes, and the result is False.

        Raises:
            RuntimeError: A later fast-forward of the same workflow replaced this one.
            RPCError: The server refused (time skipping not enabled on it, workflow closed).
        """
        if duration is None:
            await self._replace_config(handle, self._config_with(None))
            async for event in handle.fetch_history_events(wait_new_event=True):
                if event.event_type in _RUN_CLOSED:
                    break
            return False
        if not isinstance(duration, timedelta):
            duration = timedelta(seconds=duration)
        fast_forward = FastForwardConfig(id=str(uuid.uuid4()), duration=duration)
        await self._replace_config(handle, self._config_with(fast_forward))
        return await self._wait_for(handle, fast_forward.id)

    async def get_time_skipping_info(
        self, handle: WorkflowHandle[Any, Any]
    ) -> common_pb.TimeSkippingInfo | None:
        """The workflow's time-skipping state; ``None`` if skipping was never on for it."""
        description = await handle.describe()
        extended = description.raw_description.workflow_extended_info
        return extended.time_skipping_info if extended.HasField("time_skipping_info") else None

    async def get_current_time(self, handle: WorkflowHandle[Any, Any]) -> datetime:
        """The workflow's virtual now (wall-clock now if it never skipped time)."""
        info = await self.get_time_skipping_info(handle)
        if info is None:
            return datetime.now(timezone.utc)
        return info.current_time.ToDatetime(tzinfo=timezone.utc)

    def _config_with(self, fast_forward: FastForwardConfig | None) -> TimeSkippingConfig:
        return TimeSkippingConfig(
            enabled=True,
            fast_forward_config=fast_forward,
            disable_propagation=self._config.disable_propagation,
            max_session_skip_count=self._config.max_session_skip_count,
        )

    async def _replace_config(
        self, handle: WorkflowHandle[Any, Any], config: TimeSkippingConfig
    ) -> None:
        # The server takes the time_skipping_config field whole: every field must be sent.
        await self._client.workflow_service.update_workflow_execution_options(
            ws.UpdateWorkflowExecutionOptionsRequest(
                namespace=self._client.namespace,
                workflow_execution=common_pb.WorkflowExecution(
                    workflow_id=handle.id, run_id=handle.run_id or ""
                ),
                workflow_execution_options=WorkflowExecutionOptions(
                    time_skipping_config=config._to_proto()
                ),
                update_mask=FieldMask(paths=["time_skipping_config"]),
                identity=self._client.identity,
            ),
            retry=True,
        )

    async def _wait_for(self, handle: WorkflowHandle[Any, Any], fast_forward_id: str) -> bool:
        # No run id: the server follows the fast-forward to the chain's current run.
        request = ws.PollWorkflowExecutionTimeSkippingRequest(
            namespace=self._client.namespace,
            workflow_execution=common_pb.WorkflowExecution(workflow_id=handle.id),
            fast_forward_id=fast_forward_id,
        )
        while True:  # an empty answer is the long poll timing out: ask again
            response = await self._client.workflow_service.poll_workflow_execution_time_skipping(
                request, retry=True
            )
            if response.fast_forward_polling_result == _COMPLETED:
                return True
            if response.fast_forward_polling_result == _FAILED:
                if _OVERRIDDEN in response.failed_reason:
                    raise RuntimeError(
                        f"fast-forward {fast_forward_id!r} of workflow {handle.id!r} was replaced "
                        f"by a later one before it completed ({response.failed_reason}); await "
                        "each fast_forward before starting the next"
                    )
                return False


class _Stamp(Interceptor):
    """Puts the skipper's configuration on each workflow start (unless stamping is off)."""

    def __init__(self, skipper: TimeSkipper) -> None:
        self._skipper = skipper

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _StampOutbound(next, self._skipper)


class _StampOutbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, skipper: TimeSkipper) -> None:
        super().__init__(next)
        self._skipper = skipper

    def _config(self) -> common_pb.TimeSkippingConfig | None:
        return self._skipper.config._to_proto() if self._skipper._stamping else None

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        config = self._config()
        if config is not None:
            input.time_skipping_config = config
        return await self.next.start_workflow(input)

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        config = self._config()
        if config is not None:
            input.start_workflow_input.time_skipping_config = config
        return await self.next.start_update_with_start_workflow(input)
