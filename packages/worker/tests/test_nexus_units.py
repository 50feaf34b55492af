"""Server-free parts of the Nexus handler side: tokens, links, error mapping, request timeouts.

The official SDK's encodings are checked in a separate process (it never shares one with
tempyral's tests): a token or link written by one SDK reads the same in the other.
"""

from __future__ import annotations

import contextvars
import json
import logging
import subprocess
import sys
import textwrap
import threading
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, cast

import nexusrpc
import pytest
from nexusrpc.handler import StartOperationContext

from tempyral import nexus
from tempyral.activity.runtime import CompositeEvent
from tempyral.api.common.v1.message_pb2 import Link
from tempyral.api.enums.v1.event_type_pb2 import EVENT_TYPE_NEXUS_OPERATION_SCHEDULED
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.common import MetricMeter
from tempyral.converter import DataConverter
from tempyral.exceptions import ApplicationError, WorkflowAlreadyStartedError
from tempyral.nexus import WorkflowHandle
from tempyral.nexus._context import OperationScope, enter_scope
from tempyral.nexus._links import nexus_link_to_temporal_link, temporal_link_to_nexus_link
from tempyral.nexus._token import OperationToken, OperationTokenType
from tempyral.service import RPCError, RPCStatusCode
from tempyral.worker._nexus_errors import (
    encode_handler_error,
    failed_request,
    handler_error_from,
)
from tempyral.worker._nexus_worker import TaskCancellation, parse_request_timeout

OFFICIAL = textwrap.dedent(
    """
    import json, os, sys
    import nexusrpc
    from temporalio.nexus import WorkflowHandle
    from temporalio.nexus._token import OperationToken, OperationTokenType
    from temporalio.nexus._link_conversion import nexus_link_to_temporal_link
    from temporalio.api.common.v1 import Link
    from temporalio.api.enums.v1 import EventType

    request = json.loads(sys.argv[1])
    tokens = {
        "workflow": WorkflowHandle(namespace="ns", workflow_id="wf-1").to_token(),
        "activity": OperationToken(
            type=OperationTokenType.ACTIVITY, namespace="ns", activity_id="a-1", run_id="r-1"
        ).encode(),
    }
    read = WorkflowHandle.from_token(request["ours"])
    link = nexus_link_to_temporal_link(nexusrpc.Link(**request["link"]))
    print(json.dumps({
        "tokens": tokens,
        "read": [read.namespace, read.workflow_id],
        "link": [link.workflow_event.workflow_id, link.workflow_event.run_id,
                 link.workflow_event.event_ref.event_id,
                 EventType.Name(link.workflow_event.event_ref.event_type)],
    }), flush=True)
    os._exit(0)
    """
)


def test_tokens_and_links_read_the_same_in_both_sdks() -> None:
    ours = WorkflowHandle[str](namespace="ns", workflow_id="wf/2 é").to_token()
    link = temporal_link_to_nexus_link(
        Link(
            workflow_event=Link.WorkflowEvent(
                namespace="default",
                workflow_id="caller/1",
                run_id="run-1",
                event_ref=Link.WorkflowEvent.EventReference(
                    event_id=5, event_type=EVENT_TYPE_NEXUS_OPERATION_SCHEDULED
                ),
            )
        )
    )
    assert link is not None
    request = {"ours": ours, "link": {"url": link.url, "type": link.type}}
    result = subprocess.run(
        [sys.executable, "-c", OFFICIAL, json.dumps(request)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    official = json.loads(result.stdout)
    assert official["read"] == ["ns", "wf/2 é"]
    assert official["link"] == ["caller/1", "run-1", 5, "EVENT_TYPE_NEXUS_OPERATION_SCHEDULED"]
    theirs = WorkflowHandle[str].from_token(official["tokens"]["workflow"])
    assert (theirs.namespace, theirs.workflow_id) == ("ns", "wf-1")
    assert official["tokens"]["workflow"] == WorkflowHandle[str]("ns", "wf-1").to_token()
    activity = OperationToken.decode(official["tokens"]["activity"])
    assert (activity.type, activity.activity_id, activity.run_id) == (
        OperationTokenType.ACTIVITY,
        "a-1",
        "r-1",
    )


def test_link_round_trip_and_unreadable_links_are_left_out() -> None:
    link = Link(
        workflow_event=Link.WorkflowEvent(
            namespace="ns",
            workflow_id="w",
            run_id="r",
            request_id_ref=Link.WorkflowEvent.RequestIdReference(
                request_id="req", event_type=EVENT_TYPE_NEXUS_OPERATION_SCHEDULED
            ),
        )
    )
    nexus_link = temporal_link_to_nexus_link(link)
    assert nexus_link is not None
    assert nexus_link_to_temporal_link(nexus_link) == link
    elsewhere = nexusrpc.Link(url="https://x/y", type=nexus_link.type)
    assert nexus_link_to_temporal_link(elsewhere) is None
    assert nexus_link_to_temporal_link(nexusrpc.Link(url=nexus_link.url, type="other")) is None


@pytest.mark.parametrize(
    "token",
    ["", "not base64!", "bm90IGpzb24", "eyJ0Ijo5LCJucyI6Im4ifQ", "eyJ0IjoxLCJucyI6Im4ifQ"],
    ids=["empty", "not-base64", "not-json", "unknown-type", "workflow-without-id"],
)
def test_bad_tokens_say_what_is_wrong(token: str) -> None:
    with pytest.raises(TypeError, match="invalid token"):
        WorkflowHandle[str].from_token(token)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("10m", timedelta(minutes=10)),
        ("30s", timedelta(seconds=30)),
        ("500ms", timedelta(milliseconds=500)),
        ("9.155416ms", timedelta(microseconds=9155.416)),
        ("soon", None),
        ("10h", None),
    ],
)
def test_request_timeout_header_is_read_as_core_reads_it(
    header: str, expected: timedelta | None
) -> None:
    assert parse_request_timeout(header) == expected


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (RPCStatusCode.INVALID_ARGUMENT, "BAD_REQUEST", None),
        (RPCStatusCode.ALREADY_EXISTS, "INTERNAL", False),
        (RPCStatusCode.UNAVAILABLE, "UNAVAILABLE", None),
        (RPCStatusCode.PERMISSION_DENIED, "INTERNAL", None),
        (RPCStatusCode.NOT_FOUND, "NOT_FOUND", None),
        (RPCStatusCode.RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED", None),
        (RPCStatusCode.UNIMPLEMENTED, "NOT_IMPLEMENTED", None),
        (RPCStatusCode.DEADLINE_EXCEEDED, "UPSTREAM_TIMEOUT", None),
    ],
)
def test_rpc_errors_map_to_handler_errors_by_status(
    status: RPCStatusCode, kind: str, retryable: bool | None
) -> None:
    error = handler_error_from(RPCError("from the server", status, b""))
    assert (error.type.name, error.retryable_override, error.message) == (
        kind,
        retryable,
        "from the server",
    )


def test_other_errors_map_as_the_official_sdk_maps_them() -> None:
    retryable = handler_error_from(ApplicationError("x"))
    assert (retryable.type.name, retryable.retryable_override) == ("INTERNAL", True)
    started = handler_error_from(WorkflowAlreadyStartedError("wf", "Type"))
    assert (started.type.name, started.retryable_override) == ("INTERNAL", False)
    other = handler_error_from(KeyboardInterrupt())
    assert (other.type.name, other.message, other.retryable_override) == (
        "INTERNAL",
        "Internal handler error",
        None,
    )
    assert isinstance(other.__cause__, KeyboardInterrupt)


async def test_handler_error_failure_and_its_legacy_form() -> None:
    error = handler_error_from(ApplicationError("boom", type="Boom", non_retryable=True))
    failure = Failure()
    await encode_handler_error(error, DataConverter(), failure)
    assert failure.nexus_handler_failure_info.type == "INTERNAL"
    assert failure.cause.application_failure_info.type == "Boom"
    modern = failed_request(failure, temporal_failures=True)
    assert modern.failure == failure
    assert not modern.HasField("error")
    legacy = failed_request(failure, temporal_failures=False).error
    assert legacy.error_type == "INTERNAL"
    assert legacy.failure.message == "Handler failed with non-retryable application error"
    assert legacy.failure.metadata["type"] == "temporal.api.failure.v1.Failure"
    details = json.loads(legacy.failure.details)
    assert "message" not in details
    assert details["cause"]["applicationFailureInfo"]["type"] == "Boom"


def test_nexus_functions_outside_an_operation_say_so() -> None:
    assert not nexus.in_operation()
    for call in (nexus.info, nexus.client, nexus.metric_meter, nexus.is_worker_shutdown):
        with pytest.raises(RuntimeError, match="Not in Nexus operation context"):
            call()


def test_inside_an_operation_the_logger_and_meter_describe_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctx = StartOperationContext(
        service="Greetings",
        operation="greet",
        headers={},
        request_id="r",
        task_cancellation=TaskCancellation(),
    )
    shutdown = CompositeEvent(thread_event=threading.Event(), async_event=None)
    scope = OperationScope(
        client=cast(Any, SimpleNamespace(namespace="ns")),
        info=lambda: nexus.Info(endpoint="e", namespace="ns", task_queue="q"),
        nexus_context=ctx,
        runtime_metric_meter=MetricMeter.noop,
        worker_shutdown_event=shutdown,
    )

    def inside() -> None:
        enter_scope(scope)
        assert nexus.in_operation()
        assert nexus.info().task_queue == "q"
        with caplog.at_level(logging.INFO, logger="tempyral.nexus"):
            nexus.logger.info("hello")
        [record] = caplog.records
        described = (record.service, record.operation, record.task_queue)  # type: ignore[attr-defined]
        assert described == ("Greetings", "greet", "q")
        assert not nexus.is_worker_shutdown()
        nexus.wait_for_worker_shutdown_sync(timedelta(milliseconds=10))  # returns at the timeout
        shutdown.set()
        assert nexus.is_worker_shutdown()

    contextvars.copy_context().run(inside)
    assert not nexus.in_operation()  # the scope stayed in the operation's context
