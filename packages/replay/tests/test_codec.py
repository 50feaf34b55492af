"""Which payloads ``TaskCodec`` hands a codec, in which order and batches, and how it fails."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1.message_pb2 import Header, Memo, Payload, Payloads, SearchAttributes
from tempyral.api.enums.v1.command_type_pb2 import (
    COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
    COMMAND_TYPE_RECORD_MARKER,
)
from tempyral.api.failure.v1.message_pb2 import ApplicationFailureInfo, Failure
from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.api.protocol.v1.message_pb2 import Message
from tempyral.api.update.v1 import message_pb2 as update_pb2
from tempyral.common import HeaderCodecBehavior
from tempyral.converter import DataConverter, PayloadCodec
from tempyral.replay._codec import PayloadCodecError, TaskCodec
from tempyral.replay._instance import WorkflowTaskCompletion
from tempyral.replay._local_markers import LocalActivityRequest, LocalActivityResolution


def p(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


class Recording(PayloadCodec):
    """Tags each payload's data and records every call's batch."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.calls.append([x.data.decode() for x in payloads])
        return [Payload(metadata=x.metadata, data=b"enc:" + x.data) for x in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.calls.append([x.data.decode() for x in payloads])
        return [Payload(metadata=x.metadata, data=b"dec:" + x.data) for x in payloads]


def started() -> history_pb2.HistoryEvent:
    attributes = history_pb2.WorkflowExecutionStartedEventAttributes(
        input=Payloads(payloads=[p("a"), p("b")]),
        header=Header(fields={"trace": p("h")}),
        memo=Memo(fields={"owner": p("m")}),
        search_attributes=SearchAttributes(indexed_fields={"CustomKeywordField": p("s")}),
    )
    return history_pb2.HistoryEvent(
        event_id=1, workflow_execution_started_event_attributes=attributes
    )


def codec_for(codec: PayloadCodec, behavior: HeaderCodecBehavior) -> TaskCodec:
    converter = DataConverter(payload_codec=codec)
    return TaskCodec.for_converter(converter, behavior)


async def test_inputs_are_one_batch_headers_follow_the_behavior_search_attributes_never() -> None:
    recording = Recording()
    event = started()
    [decoded] = await codec_for(recording, HeaderCodecBehavior.NO_CODEC).decode_events([event])
    assert recording.calls == [["a", "b"], ["m"]]
    attrs = decoded.workflow_execution_started_event_attributes
    assert [x.data for x in attrs.input.payloads] == [b"dec:a", b"dec:b"]
    assert attrs.header.fields["trace"].data == b"h"
    assert attrs.search_attributes.indexed_fields["CustomKeywordField"].data == b"s"
    # The caller's event is left as it was (a Replayer's history is the user's).
    assert event.workflow_execution_started_event_attributes.input.payloads[0].data == b"a"

    recording = Recording()
    await codec_for(recording, HeaderCodecBehavior.WORKFLOW_ONLY_CODEC).decode_events([started()])
    assert recording.calls == [["a", "b"], ["m"], ["h"]]  # declared order: memo, header


async def test_events_the_workflow_never_reads_are_not_decoded() -> None:
    recording = Recording()
    scheduled = history_pb2.HistoryEvent(
        event_id=5,
        activity_task_scheduled_event_attributes=history_pb2.ActivityTaskScheduledEventAttributes(
            input=Payloads(payloads=[p("x")])
        ),
    )
    patch = history_pb2.HistoryEvent(
        event_id=6,
        marker_recorded_event_attributes=history_pb2.MarkerRecordedEventAttributes(
            marker_name="core_patch", details={"patch_data": Payloads(payloads=[p("id")])}
        ),
    )
    codec = codec_for(recording, HeaderCodecBehavior.NO_CODEC)
    assert await codec.decode_events([scheduled, patch]) == [scheduled, patch]
    assert recording.calls == []


async def test_a_failure_is_encoded_attributes_first_then_its_cause_then_its_details() -> None:
    recording = Recording()
    failure = Failure(
        message="Encoded failure",
        encoded_attributes=p("outer"),
        cause=Failure(encoded_attributes=p("inner")),
        application_failure_info=ApplicationFailureInfo(details=Payloads(payloads=[p("d")])),
    )
    command = command_pb2.Command(
        command_type=COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
        fail_workflow_execution_command_attributes=command_pb2.FailWorkflowExecutionCommandAttributes(
            failure=failure
        ),
    )
    completion = WorkflowTaskCompletion(commands=[command])
    await codec_for(recording, HeaderCodecBehavior.NO_CODEC).encode_completion(completion)
    assert recording.calls == [["outer"], ["inner"], ["d"]]
    sent = completion.commands[0].fail_workflow_execution_command_attributes.failure
    assert sent.encoded_attributes.data == b"enc:outer"
    # The engine keeps its own command as it issued it.
    assert command.fail_workflow_execution_command_attributes.failure.encoded_attributes.data == (
        b"outer"
    )


async def test_a_codec_that_raises_is_named_with_what_it_was_decoding() -> None:
    class Locked(Recording):
        async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
            raise PermissionError("key revoked")

    codec = codec_for(Locked(), HeaderCodecBehavior.NO_CODEC)
    with pytest.raises(PayloadCodecError) as caught:
        await codec.decode_events([started()])
    message = str(caught.value)
    assert "Payload codec Locked failed decoding" in message
    assert "event 1 (workflow_execution_started_event_attributes)" in message
    assert "PermissionError: key revoked" in message


async def test_without_a_codec_nothing_changes() -> None:
    codec = TaskCodec.for_converter(DataConverter.default)
    event = started()
    assert await codec.decode_events([event]) == [event]
    assert await codec.decode_payloads([p("q")]) == [p("q")]


def marker(name: str, details: dict[str, list[Payload]]) -> command_pb2.Command:
    attributes = command_pb2.RecordMarkerCommandAttributes(marker_name=name)
    for key, payloads in details.items():
        attributes.details[key].payloads.extend(payloads)
    return command_pb2.Command(
        command_type=COMMAND_TYPE_RECORD_MARKER, record_marker_command_attributes=attributes
    )


async def test_core_markers_keep_their_own_details_plain() -> None:
    """As Core writes them: a patch marker carries no codec payload; a local activity marker's
    result is the activity's (encoded) and its ``data`` is Core's bookkeeping (plain)."""
    recording = Recording()
    patch = marker("core_patch", {"patch_data": [p("patch")]})
    local = marker("core_local_activity", {"data": [p("seq")], "result": [p("r")]})
    completion = WorkflowTaskCompletion(commands=[patch, local])
    await codec_for(recording, HeaderCodecBehavior.CODEC).encode_completion(completion)
    assert recording.calls == [["r"]]
    sent_patch, sent_local = (c.record_marker_command_attributes for c in completion.commands)
    assert sent_patch.details["patch_data"].payloads[0].data == b"patch"
    assert sent_local.details["data"].payloads[0].data == b"seq"
    assert sent_local.details["result"].payloads[0].data == b"enc:r"


async def test_a_local_activity_marker_carries_the_outcome_its_attempt_encoded() -> None:
    """As Core writes it: the result (or failure) the attempt encoded, not encoded again."""
    recording = Recording()
    data = Payload(metadata={"encoding": b"json/plain"}, data=b'{"seq":1}')
    local = marker("core_local_activity", {"data": [data], "result": [p("r")]})
    failed = marker("core_local_activity", {"data": [Payload(data=b'{"seq":2}')]})
    failed.record_marker_command_attributes.failure.CopyFrom(
        Failure(message="x", encoded_attributes=p("f"))
    )
    completion = WorkflowTaskCompletion(commands=[local, failed])
    outcomes = {
        1: LocalActivityResolution(seq=1, status="completed", result=p("as attempted r")),
        2: LocalActivityResolution(
            seq=2, status="failed", failure=Failure(encoded_attributes=p("as attempted f"))
        ),
    }
    codec = codec_for(recording, HeaderCodecBehavior.NO_CODEC)
    await codec.encode_completion(completion, local_outcomes=outcomes)
    assert recording.calls == []
    sent_local, sent_failed = (c.record_marker_command_attributes for c in completion.commands)
    assert sent_local.details["result"].payloads[0].data == b"as attempted r"
    assert sent_failed.failure.encoded_attributes.data == b"as attempted f"


async def test_a_local_activity_goes_out_encoded_and_its_outcome_comes_back_decoded() -> None:
    recording = Recording()
    codec = codec_for(recording, HeaderCodecBehavior.CODEC)
    request = LocalActivityRequest(
        seq=1,
        activity_id="1",
        activity_type="shout",
        arguments=(p("a"), p("b")),
        headers=(("trace", p("h")),),
    )
    sent = await codec.encode_local_activity(request)
    assert [x.data for x in sent.arguments] == [b"enc:a", b"enc:b"]
    assert dict(sent.headers)["trace"].data == b"enc:h"
    assert request.arguments[0].data == b"a"
    resolution = LocalActivityResolution(seq=1, status="completed", result=p("r"))
    assert (await codec.decode_local_activity(resolution)).result == p("dec:r")
    failed = LocalActivityResolution(
        seq=1, status="failed", failure=Failure(message="x", encoded_attributes=p("f"))
    )
    decoded = await codec.decode_local_activity(failed)
    assert decoded.failure is not None
    assert decoded.failure.encoded_attributes.data == b"dec:f"
    assert recording.calls == [["h"], ["a", "b"], ["r"], ["f"]]


def protocol_message(message_id: str, body: Any) -> Message:
    message = Message(id=message_id, protocol_instance_id="update-1")
    message.body.Pack(body)
    return message


async def test_an_answer_to_an_update_carries_the_request_as_received() -> None:
    """As Core answers: the acceptance (or rejection) holds the request the server sent, still
    encoded; only the rejection's failure goes through the codec."""
    recording = Recording()
    received_request = update_pb2.Request(input=update_pb2.Input(args=Payloads(payloads=[p("x")])))
    received = protocol_message("req", received_request)
    decoded_request = update_pb2.Request(
        input=update_pb2.Input(args=Payloads(payloads=[p("decoded x")]))
    )
    accept = protocol_message(
        "req/accept",
        update_pb2.Acceptance(accepted_request_message_id="req", accepted_request=decoded_request),
    )
    reject = protocol_message(
        "req/reject",
        update_pb2.Rejection(
            rejected_request_message_id="req",
            rejected_request=decoded_request,
            failure=Failure(message="no", encoded_attributes=p("why")),
        ),
    )
    completion = WorkflowTaskCompletion(messages=[accept, reject])
    codec = codec_for(recording, HeaderCodecBehavior.NO_CODEC)
    await codec.encode_completion(completion, received=[received])
    assert recording.calls == [["why"]]
    sent_accept, sent_reject = completion.messages
    acceptance = update_pb2.Acceptance()
    sent_accept.body.Unpack(acceptance)
    assert acceptance.accepted_request == received_request
    rejection = update_pb2.Rejection()
    sent_reject.body.Unpack(rejection)
    assert rejection.rejected_request == received_request
    assert rejection.failure.encoded_attributes.data == b"enc:why"


async def test_a_cached_run_leaves_its_local_activity_markers_undecoded() -> None:
    recording = Recording()
    attributes = history_pb2.MarkerRecordedEventAttributes(marker_name="core_local_activity")
    attributes.details["result"].payloads.append(p("r"))
    event = history_pb2.HistoryEvent(event_id=7, marker_recorded_event_attributes=attributes)
    codec = codec_for(recording, HeaderCodecBehavior.NO_CODEC)
    [kept] = await codec.decode_events([event], markers=False)
    assert recording.calls == []
    assert kept.marker_recorded_event_attributes.details["result"].payloads[0].data == b"r"
    # Rebuilt from history, the run reads the outcome from the marker: decoded.
    [decoded] = await codec.decode_events([event])
    assert recording.calls == [["r"]]
    assert decoded.marker_recorded_event_attributes.details["result"].payloads[0].data == b"dec:r"
