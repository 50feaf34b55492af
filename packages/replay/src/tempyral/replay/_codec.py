"""Payload codecs around the engine: decode what a workflow task brings, encode what it answers.

Codecs (encryption, compression) are async and the engine is sync, so, as the official SDK does,
they run outside it: the worker (and the ``Replayer``) decode every payload the workflow will see
before ``WorkflowInstance.activate`` or ``query`` runs, and encode every payload of the commands,
protocol messages, query answers and task failures after. :py:class:`TaskCodec` does both.

Which payloads are visited mirrors the official SDK's payload visitor over Core's activations and
completions: search attributes never (the server indexes them), headers only when
``HeaderCodecBehavior`` is not ``NO_CODEC``, one codec call per ``Payloads`` (the whole list at
once) and per single ``Payload`` (map values one by one), fields in their declared order (a
failure's ``encoded_attributes`` before its cause, the cause before its details). On the way in,
only events whose payloads reach workflow code are decoded (start, signals, resolutions of
activities, children and local activities, accepted updates): the inputs of scheduled activities
or started children are never read back, and a patch marker's details are not a codec's.

External storage (``DataConverter.external_storage``) sits at the same boundary: encoding
stores large payloads after the codec ran, decoding retrieves them before it runs, so a
converter with storage gets a task codec even without a payload codec; its drivers learn the
workflow from :py:meth:`TaskCodec.for_workflow`.

A codec that raises fails the workflow task (never the worker) with a
:py:class:`PayloadCodecError` naming the codec and what it was working on.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from google.protobuf.message import Message as ProtoMessage

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1.message_pb2 import Header, Payload, Payloads, SearchAttributes
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.api.protocol.v1.message_pb2 import Message
from tempyral.api.update.v1 import message_pb2 as update_pb2
from tempyral.common import HeaderCodecBehavior
from tempyral.converter import DataConverter, PayloadCodec

if TYPE_CHECKING:
    from tempyral.replay._instance import WorkflowTaskCompletion
    from tempyral.replay._local_markers import LocalActivityRequest, LocalActivityResolution

__all__ = ["PayloadCodecError", "TaskCodec"]

_Transform = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]

# Event attributes whose payloads the workflow reads (as Core's activation jobs carry them).
_DECODED_EVENTS = frozenset(
    {
        "workflow_execution_started_event_attributes",
        "workflow_execution_signaled_event_attributes",
        "activity_task_completed_event_attributes",
        "activity_task_failed_event_attributes",
        "activity_task_timed_out_event_attributes",
        "activity_task_canceled_event_attributes",
        "child_workflow_execution_completed_event_attributes",
        "child_workflow_execution_failed_event_attributes",
        "child_workflow_execution_canceled_event_attributes",
        "child_workflow_execution_timed_out_event_attributes",
        "workflow_execution_update_accepted_event_attributes",
        "workflow_execution_update_admitted_event_attributes",
    }
)
_LABEL_REPEATED = 3  # FieldDescriptor.LABEL_REPEATED, for protobuf < 6
_LOCAL_ACTIVITY_MARKER = "core_local_activity"
_MARKER_DATA_KEY = "data"  # Core's own record of the local activity, never codec-encoded
_MARKER_RESULT_KEY = "result"
# Bodies of protocol messages (update requests in; acceptances, rejections, responses out).
_MESSAGE_BODIES: tuple[type[ProtoMessage], ...] = (
    update_pb2.Request,
    update_pb2.Acceptance,
    update_pb2.Rejection,
    update_pb2.Response,
)


class PayloadCodecError(RuntimeError):
    """The data converter's payload codec raised; the workflow task fails with this error."""


class TaskCodec:
    """A payload codec applied to the payloads of workflow tasks, in both directions.

    Without a codec (``codec=None``) every method hands its input back unchanged.
    """

    def __init__(self, codec: PayloadCodec | None, *, headers: bool = False) -> None:
        self.codec = codec
        self.headers = headers
        self._visitor = _PayloadVisitor(headers=headers)

    @classmethod
    def for_converter(
        cls,
        converter: DataConverter,
        header_codec_behavior: HeaderCodecBehavior = HeaderCodecBehavior.NO_CODEC,
    ) -> TaskCodec:
        """The task codec of ``converter`` (headers too unless ``NO_CODEC``, as officially)."""
        headers = header_codec_behavior != HeaderCodecBehavior.NO_CODEC
        if converter.external_storage is not None:
            return cls(_StoringCodec(converter), headers=headers)
        return cls(converter.payload_codec, headers=headers)

    def for_workflow(
        self, namespace: str, workflow_id: str, run_id: str, workflow_type: str
    ) -> TaskCodec:
        """This task codec with external storage drivers told which workflow they store for."""
        if not isinstance(self.codec, _StoringCodec):
            return self
        # Imported here: only a converter with external storage gets this far, and the storage
        # classes stay out of programs that never configure it.
        from tempyral.converter import StorageDriverStoreContext, StorageDriverWorkflowInfo

        target = StorageDriverWorkflowInfo(
            namespace=namespace, id=workflow_id, run_id=run_id or None, type=workflow_type or None
        )
        bound = self.codec.converter._with_store_context(StorageDriverStoreContext(target=target))
        return TaskCodec(_StoringCodec(bound), headers=self.headers)

    # -- in ------------------------------------------------------------------------------------
    async def decode_events(
        self, events: Sequence[history_pb2.HistoryEvent], *, markers: bool = True
    ) -> list[history_pb2.HistoryEvent]:
        """The events with the payloads workflow code reads decoded (changed events are copies).

        ``markers=False`` leaves local activity markers as they are: a run that continues in
        the worker's cache resolved them when its attempts ended, and reads nothing from them
        (as Core, which makes no job of a marker it already resolved).
        """
        if self.codec is None:
            return list(events)
        decoded: list[history_pb2.HistoryEvent] = []
        for event in events:
            attributes = event.WhichOneof("attributes")
            if attributes in _DECODED_EVENTS:
                copy = history_pb2.HistoryEvent()
                copy.CopyFrom(event)
                where = f"event {event.event_id} ({attributes})"
                await self._visit(getattr(copy, attributes), self.codec.decode, "decoding", where)
                decoded.append(copy)
            elif attributes == "marker_recorded_event_attributes" and markers:
                decoded.append(await self._decode_marker(event))
            else:
                decoded.append(event)
        return decoded

    async def _decode_marker(self, event: history_pb2.HistoryEvent) -> history_pb2.HistoryEvent:
        assert self.codec is not None
        if event.marker_recorded_event_attributes.marker_name != _LOCAL_ACTIVITY_MARKER:
            return event
        copy = history_pb2.HistoryEvent()
        copy.CopyFrom(event)
        marker = copy.marker_recorded_event_attributes
        where = f"event {event.event_id} (local activity marker)"
        for key, payloads in marker.details.items():
            if key != _MARKER_DATA_KEY:
                await self._visit(payloads, self.codec.decode, "decoding", where)
        if marker.HasField("failure"):
            await self._visit(marker.failure, self.codec.decode, "decoding", where)
        return copy

    async def decode_messages(self, messages: Sequence[Message]) -> list[Message]:
        """Protocol messages (update requests) with their payloads decoded (as copies)."""
        if self.codec is None:
            return list(messages)
        decode = self.codec.decode
        return [await self._message(message, decode, "decoding") for message in messages]

    async def decode_payloads(
        self, payloads: Sequence[Payload], *, what: str = "query arguments"
    ) -> list[Payload]:
        """Decoded copies of ``payloads`` (the arguments of a query)."""
        if self.codec is None:
            return list(payloads)
        wrapper = Payloads(payloads=list(payloads))
        await self._visit(wrapper, self.codec.decode, "decoding", what)
        return list(wrapper.payloads)

    # -- out -----------------------------------------------------------------------------------
    async def encode_completion(
        self,
        completion: WorkflowTaskCompletion,
        received: Sequence[Message] = (),
        local_outcomes: Mapping[int, LocalActivityResolution] | None = None,
    ) -> None:
        """Encode the payloads of a task's commands and protocol messages.

        The completion gets encoded copies: the engine's state machines keep the commands they
        issued, decoded, and may send them again. As Core answers, nothing is encoded twice: an
        acceptance carries the update request as it was ``received`` (still encoded), and a
        local activity marker the outcome its attempt produced (``local_outcomes``, by sequence
        number, as the worker got them before decoding).
        """
        if self.codec is None:
            return
        commands = []
        for command in completion.commands:
            copy = command_pb2.Command()
            copy.CopyFrom(command)
            where = f"command {CommandType.Name(command.command_type)}"
            if command.command_type == CommandType.COMMAND_TYPE_RECORD_MARKER:
                await self._encode_marker(
                    copy.record_marker_command_attributes, where, local_outcomes or {}
                )
            else:
                await self._visit(copy, self.codec.encode, "encoding", where)
            commands.append(copy)
        completion.commands = commands
        # Answers to received requests go without the request, encoded, then get it back.
        requests = _requests_by_message_id(received)
        empty = {message_id: update_pb2.Request() for message_id in requests}
        completion.messages = [
            _set_request(
                await self._message(_set_request(m, empty), self.codec.encode, "encoding"),
                requests,
            )
            for m in completion.messages
        ]

    async def _encode_marker(
        self,
        marker: command_pb2.RecordMarkerCommandAttributes,
        where: str,
        outcomes: Mapping[int, LocalActivityResolution],
    ) -> None:
        """Core writes the markers (patch, local activity) from what the SDK gave it: a patch
        marker carries no codec payload, a local activity marker's ``data`` is Core's own and
        its outcome the attempt's, already encoded."""
        assert self.codec is not None
        if marker.marker_name != _LOCAL_ACTIVITY_MARKER:
            return
        seq = _marker_seq(marker)
        produced = outcomes.get(seq) if seq is not None else None
        for key, payloads in marker.details.items():
            if key == _MARKER_DATA_KEY:
                continue
            if key == _MARKER_RESULT_KEY and produced is not None and produced.result is not None:
                del payloads.payloads[:]
                payloads.payloads.append(produced.result)
                continue
            await self._visit(payloads, self.codec.encode, "encoding", where)
        if marker.HasField("failure"):
            if produced is not None and produced.failure is not None:
                marker.failure.CopyFrom(produced.failure)
            else:
                await self._visit(marker.failure, self.codec.encode, "encoding", where)

    async def encode_local_activity(self, request: LocalActivityRequest) -> LocalActivityRequest:
        """The request with its arguments (and headers, when headers are encoded) encoded.

        The official SDK encodes a ``ScheduleLocalActivity`` command's payloads before Core runs
        the activity, whose attempt decodes them like any activity's input; the worker runs a
        local activity the same way, so its payloads take the same path.
        """
        if self.codec is None:
            return request
        what = f"local activity {request.activity_type} ({request.activity_id})"
        scheduled = command_pb2.ScheduleActivityTaskCommandAttributes(
            input=Payloads(payloads=request.arguments), header=Header(fields=dict(request.headers))
        )
        await self._visit(scheduled, self.codec.encode, "encoding", what)
        return dataclasses.replace(
            request,
            arguments=tuple(scheduled.input.payloads),
            headers=tuple(scheduled.header.fields.items()),
        )

    async def decode_local_activity(
        self, resolution: LocalActivityResolution
    ) -> LocalActivityResolution:
        """The outcome of a local activity attempt (encoded as any activity's) decoded for the
        workflow; the marker's payloads are encoded again with the task's completion."""
        if self.codec is None:
            return resolution
        what = f"local activity {resolution.seq}'s outcome"
        result = resolution.result
        if result is not None:
            wrapper = Payloads(payloads=[result])
            await self._visit(wrapper, self.codec.decode, "decoding", what)
            result = wrapper.payloads[0]
        failure = None
        if resolution.failure is not None:
            failure = Failure()
            failure.CopyFrom(resolution.failure)
            await self._visit(failure, self.codec.decode, "decoding", what)
        return dataclasses.replace(resolution, result=result, failure=failure)

    async def encode_payload(self, payload: Payload, *, what: str = "a query answer") -> Payload:
        """An encoded copy of ``payload`` (the answer of a query)."""
        if self.codec is None:
            return payload
        wrapper = Payloads(payloads=[payload])
        await self._visit(wrapper, self.codec.encode, "encoding", what)
        return wrapper.payloads[0]

    async def encode_failure(self, failure: Failure, *, what: str = "a task failure") -> None:
        """Encode the payloads of a failure and its causes, in place."""
        if self.codec is None:
            return
        await self._visit(failure, self.codec.encode, "encoding", what)

    # -- shared --------------------------------------------------------------------------------
    async def _message(self, message: Message, transform: _Transform, doing: str) -> Message:
        for body_type in _MESSAGE_BODIES:
            if message.body.Is(cast(Any, body_type.DESCRIPTOR)):
                body = body_type()
                message.body.Unpack(body)
                where = f"protocol message {message.id} ({body_type.DESCRIPTOR.name})"
                await self._visit(body, transform, doing, where)
                copy = Message()
                copy.CopyFrom(message)
                copy.body.Pack(body)
                return copy
        return message

    async def _visit(
        self, message: ProtoMessage, transform: _Transform, doing: str, where: str
    ) -> None:
        codec = self.codec
        name = codec.name if isinstance(codec, _StoringCodec) else type(codec).__name__

        async def guarded(payloads: Sequence[Payload]) -> list[Payload]:
            try:
                return await transform(payloads)
            except Exception as err:
                raise PayloadCodecError(
                    f"Payload codec {name} failed {doing} the payloads of {where}: "
                    f"{type(err).__name__}: {err}. Check that the worker's data converter has "
                    "the codec the payloads were written with, and that it can reach what it needs"
                ) from err

        await self._visitor.visit(message, guarded)


def _requests_by_message_id(messages: Sequence[Message]) -> dict[str, update_pb2.Request]:
    requests = {}
    for message in messages:
        if message.body.Is(cast(Any, update_pb2.Request.DESCRIPTOR)):
            request = update_pb2.Request()
            message.body.Unpack(request)
            requests[message.id] = request
    return requests


# The answers that carry the update request back, and the fields that name and hold it.
_REQUEST_FIELDS: tuple[tuple[type[ProtoMessage], str, str], ...] = (
    (update_pb2.Acceptance, "accepted_request_message_id", "accepted_request"),
    (update_pb2.Rejection, "rejected_request_message_id", "rejected_request"),
)


def _set_request(message: Message, requests: dict[str, update_pb2.Request]) -> Message:
    """``message`` (a copy, when changed) with the update request it answers set to the one in
    ``requests`` (cleared when ``requests`` maps its id to an empty request)."""
    for body_type, id_field, request_field in _REQUEST_FIELDS:
        if not message.body.Is(cast(Any, body_type.DESCRIPTOR)):
            continue
        body = body_type()
        message.body.Unpack(body)
        request = requests.get(getattr(body, id_field))
        if request is None:
            return message
        getattr(body, request_field).CopyFrom(request)
        copy = Message()
        copy.CopyFrom(message)
        copy.body.Pack(body)
        return copy
    return message


def _marker_seq(marker: command_pb2.RecordMarkerCommandAttributes) -> int | None:
    """The local activity's sequence number, from the marker's ``data`` detail."""
    if _MARKER_DATA_KEY not in marker.details or not marker.details[_MARKER_DATA_KEY].payloads:
        return None
    try:
        seq = json.loads(marker.details[_MARKER_DATA_KEY].payloads[0].data).get("seq")
        return int(seq) if seq is not None else None
    except (ValueError, TypeError, AttributeError):
        return None  # not data this engine wrote: the outcome is encoded as it stands


class _StoringCodec(PayloadCodec):
    """The converter's codec and external storage as one codec (storage on the outer side)."""

    def __init__(self, converter: DataConverter) -> None:
        self.converter = converter
        inner = converter.payload_codec
        self.name = (
            f"{type(inner).__name__} with external storage"
            if inner is not None
            else "external storage"
        )

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self.converter._transform_outbound_sequence(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self.converter._transform_inbound_sequence(payloads)


class _PayloadVisitor:
    """Walks a proto message's payloads in declared field order, replacing them in place."""

    def __init__(self, *, headers: bool) -> None:
        self._skipped = {SearchAttributes.DESCRIPTOR.full_name}
        if not headers:
            self._skipped.add(Header.DESCRIPTOR.full_name)
        self._carries: dict[str, bool] = {}

    async def visit(self, message: ProtoMessage, transform: _Transform) -> None:
        descriptor: Any = message.DESCRIPTOR
        if descriptor.full_name == Payloads.DESCRIPTOR.full_name:
            # Matched by full name (any pool's class); the layout is Payloads'.
            await _transform_list(cast(Payloads, message), transform)
            return
        if descriptor.full_name == Payload.DESCRIPTOR.full_name:
            new = await transform([cast(Payload, message)])
            if new[0] is not message:
                message.CopyFrom(new[0])
            return
        for field in descriptor.fields:
            if field.message_type is None or not self._carries_payloads(field.message_type):
                continue
            value = getattr(message, field.name)
            if _is_map(field):
                for key in list(value):
                    await self.visit(value[key], transform)
            elif _is_repeated(field):
                for item in value:
                    await self.visit(item, transform)
            elif message.HasField(field.name):
                await self.visit(value, transform)

    def _carries_payloads(self, descriptor: Any) -> bool:
        """Whether a message of this type can hold a payload the codec sees (memoized)."""
        name = descriptor.full_name
        known = self._carries.get(name)
        if known is not None:
            return known
        if name in self._skipped:
            self._carries[name] = False
            return False
        if name in (Payload.DESCRIPTOR.full_name, Payloads.DESCRIPTOR.full_name):
            self._carries[name] = True
            return True
        self._carries[name] = False  # provisional: breaks cycles (a failure's cause)
        carries = False
        for field in descriptor.fields:
            if field.message_type is None:
                continue
            target: Any = field.message_type
            if _is_map(field):
                target = field.message_type.fields_by_name["value"].message_type
                if target is None:
                    continue
            if self._carries_payloads(target):
                carries = True
        self._carries[name] = carries
        return carries


def _is_repeated(field: Any) -> bool:
    repeated = getattr(field, "is_repeated", None)  # protobuf >= 6; ``label`` went in 7
    if repeated is not None:
        return bool(repeated)
    return bool(field.label == _LABEL_REPEATED)


def _is_map(field: Any) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


async def _transform_list(payloads: Payloads, transform: _Transform) -> None:
    if not payloads.payloads:
        return
    new = await transform(list(payloads.payloads))
    del payloads.payloads[:]
    payloads.payloads.extend(new)
