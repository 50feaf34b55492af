"""The action of a schedule: :py:class:`ScheduleActionStartWorkflow`.

Built by the caller, its arguments, memo and summary are converted when the schedule is sent.
Built from a description (``raw_info``), it holds the server's payloads and sends them back
unchanged, so that updating a schedule does not need the argument types.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from tempyral.api.common.v1.message_pb2 import Payload, Payloads, WorkflowType
from tempyral.api.common.v1.message_pb2 import RetryPolicy as RetryPolicyProto
from tempyral.api.schedule.v1 import message_pb2 as schedule_pb
from tempyral.api.taskqueue.v1.message_pb2 import TaskQueue
from tempyral.api.workflow.v1.message_pb2 import NewWorkflowExecutionInfo
from tempyral.client._definitions import workflow_name_and_result_type
from tempyral.client._helpers import _apply_headers, _encode_user_metadata
from tempyral.common import (
    HeaderCodecBehavior,
    Priority,
    RetryPolicy,
    SearchAttributes,
    TypedSearchAttributes,
    _arg_or_args,
    _arg_unset,
)
from tempyral.converter import (
    WorkflowSerializationContext,
    decode_search_attributes,
    decode_typed_search_attributes,
    encode_search_attributes,
)

if TYPE_CHECKING:
    from tempyral.client._client import Client

__all__ = ["ScheduleAction", "ScheduleActionStartWorkflow"]

_NO_SEARCH_ATTRIBUTES: SearchAttributes = MappingProxyType({})


class ScheduleAction(ABC):
    """What a schedule does; :py:class:`ScheduleActionStartWorkflow` is the one action."""

    @staticmethod
    def _from_proto(action: schedule_pb.ScheduleAction) -> ScheduleAction:
        if action.HasField("start_workflow"):
            return ScheduleActionStartWorkflow._from_proto(action.start_workflow)
        raise ValueError(f"Unsupported action: {action.WhichOneof('action')}")

    @abstractmethod
    async def _to_proto(self, client: Client) -> schedule_pb.ScheduleAction: ...


@dataclass(init=False)
class ScheduleActionStartWorkflow(ScheduleAction):
    """Start a workflow (arguments as for ``Client.start_workflow``).

    Built from a description, ``args``, ``memo`` values and ``headers`` are the server's
    payloads, sent back unchanged on update.
    """

    workflow: str
    args: Sequence[Any] | Sequence[Payload]
    id: str
    task_queue: str
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    retry_policy: RetryPolicy | None
    memo: Mapping[str, Any] | Mapping[str, Payload] | None
    typed_search_attributes: TypedSearchAttributes
    untyped_search_attributes: SearchAttributes
    static_summary: str | Payload | None
    static_details: str | Payload | None
    priority: Priority
    headers: Mapping[str, Payload] | None
    _from_raw: bool = dataclasses.field(compare=False, init=False)

    @staticmethod
    def _from_proto(info: NewWorkflowExecutionInfo) -> ScheduleActionStartWorkflow:  # type: ignore[override]
        return ScheduleActionStartWorkflow("<unset>", raw_info=info)

    def __init__(
        self,
        workflow: str | Callable[..., Awaitable[Any]],
        arg: Any = _arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str | None = None,
        task_queue: str | None = None,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        retry_policy: RetryPolicy | None = None,
        memo: Mapping[str, Any] | None = None,
        typed_search_attributes: TypedSearchAttributes = TypedSearchAttributes.empty,
        untyped_search_attributes: SearchAttributes = _NO_SEARCH_ATTRIBUTES,
        static_summary: str | None = None,
        static_details: str | None = None,
        headers: Mapping[str, Payload] | None = None,
        raw_info: NewWorkflowExecutionInfo | None = None,
        priority: Priority = Priority.default,
    ) -> None:
        """Describe the workflow to start.

        Raises:
            ValueError: ``id`` or ``task_queue`` missing, or a dynamic workflow given.
        """
        super().__init__()
        if raw_info is not None:
            self._init_from_raw(raw_info)
            return
        self._from_raw = False
        if not id:
            raise ValueError("ID required")
        if not task_queue:
            raise ValueError("Task queue required")
        self.workflow = workflow_name_and_result_type(workflow)[0]
        self.args = _arg_or_args(arg, args)
        self.id = id
        self.task_queue = task_queue
        self.execution_timeout = execution_timeout
        self.run_timeout = run_timeout
        self.task_timeout = task_timeout
        self.retry_policy = retry_policy
        self.memo = memo
        self.typed_search_attributes = typed_search_attributes
        self.untyped_search_attributes = dict(untyped_search_attributes)
        self.static_summary = static_summary
        self.static_details = static_details
        self.headers = headers
        self.priority = priority

    def _init_from_raw(self, raw: NewWorkflowExecutionInfo) -> None:
        self._from_raw = True
        self.workflow = raw.workflow_type.name
        self.args = list(raw.input.payloads)
        self.id = raw.workflow_id
        self.task_queue = raw.task_queue.name
        self.execution_timeout = _duration(raw, "workflow_execution_timeout")
        self.run_timeout = _duration(raw, "workflow_run_timeout")
        self.task_timeout = _duration(raw, "workflow_task_timeout")
        self.retry_policy = (
            RetryPolicy.from_proto(raw.retry_policy) if raw.HasField("retry_policy") else None
        )
        self.memo = dict(raw.memo.fields) if raw.memo.fields else None
        self.typed_search_attributes = decode_typed_search_attributes(raw.search_attributes)
        untyped = dict(decode_search_attributes(raw.search_attributes))
        for pair in self.typed_search_attributes:
            untyped.pop(pair.key.name, None)
        self.untyped_search_attributes = untyped
        has_metadata = raw.HasField("user_metadata")
        metadata = raw.user_metadata
        self.static_summary = (
            metadata.summary if has_metadata and metadata.HasField("summary") else None
        )
        self.static_details = (
            metadata.details if has_metadata and metadata.HasField("details") else None
        )
        self.headers = dict(raw.header.fields) if raw.header.fields else None
        self.priority = (
            Priority._from_proto(raw.priority) if raw.HasField("priority") else Priority.default
        )

    async def _to_proto(self, client: Client) -> schedule_pb.ScheduleAction:
        converter = client.data_converter.with_context(
            WorkflowSerializationContext(namespace=client.namespace, workflow_id=self.id)
        )
        info = NewWorkflowExecutionInfo(
            workflow_id=self.id,
            workflow_type=WorkflowType(name=self.workflow),
            task_queue=TaskQueue(name=self.task_queue),
        )
        if self.args:
            payloads = [
                arg if isinstance(arg, Payload) else (await converter.encode([arg]))[0]
                for arg in self.args
            ]
            info.input.CopyFrom(Payloads(payloads=payloads))
        for name, value in (
            ("workflow_execution_timeout", self.execution_timeout),
            ("workflow_run_timeout", self.run_timeout),
            ("workflow_task_timeout", self.task_timeout),
        ):
            if value:
                getattr(info, name).FromTimedelta(value)
        if self.retry_policy:
            retry = RetryPolicyProto()
            self.retry_policy.apply_to_proto(retry)
            info.retry_policy.CopyFrom(retry)
        if self.memo:
            await converter._encode_memo_existing(self.memo, info.memo)
        metadata = await _encode_user_metadata(converter, self.static_summary, self.static_details)
        if metadata is not None:
            info.user_metadata.CopyFrom(metadata)
        if self.priority:
            info.priority.CopyFrom(self.priority._to_proto())
        typed_names = {pair.key.name for pair in self.typed_search_attributes}
        untyped = {k: v for k, v in self.untyped_search_attributes.items() if k not in typed_names}
        if untyped:
            encode_search_attributes(untyped, info.search_attributes)
        if self.typed_search_attributes:
            encode_search_attributes(self.typed_search_attributes, info.search_attributes)
        if self.headers:
            codec = client._config["header_codec_behavior"] == HeaderCodecBehavior.CODEC
            await _apply_headers(
                self.headers,
                info.header.fields,
                codec and not self._from_raw,
                client.data_converter,
            )
        return schedule_pb.ScheduleAction(start_workflow=info)


def _duration(raw: NewWorkflowExecutionInfo, field: str) -> timedelta | None:
    duration: timedelta = getattr(raw, field).ToTimedelta()
    return duration if raw.HasField(field) else None
