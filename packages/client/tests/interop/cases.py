"""Values, failures and search attributes that both SDKs encode and decode in interop tests.

Imports neither SDK: the builders take the SDK's module (``tempyral.exceptions`` or
``temporalio.exceptions``, ...) as an argument, so the same code runs on both sides, which is
the point of an SDK that mirrors the official API. Exceptions are raised and caught inside this
file, so their stack traces are the same text in both processes.
"""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum, IntEnum
from types import ModuleType
from typing import Any, Literal, NewType, Optional, Union

import pydantic
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

# pydantic needs typing_extensions' TypedDict before Python 3.12.
from typing_extensions import TypedDict

# --- plain values -----------------------------------------------------------------------------


class Level(IntEnum):
    LOW = 1
    HIGH = 2


class Status(str, Enum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass
class Address:
    street: str
    zip_code: Optional[str] = None  # noqa: UP045 - Optional is what users write, too


@dataclass
class Order:
    id: uuid.UUID
    placed: datetime
    lines: list[Address]
    level: Level
    status: Status
    counts: dict[str, int]
    tags: tuple[str, ...] = ()
    note: Optional[str] = None  # noqa: UP045
    flags: list[bool] = field(default_factory=list)


class Movie(TypedDict):
    title: str
    year: int


class Customer(pydantic.BaseModel):
    name: str
    joined: datetime
    ids: list[int]
    address: Optional[Address] = None  # noqa: UP045


UserId = NewType("UserId", int)

WHEN = datetime(2024, 2, 29, 13, 14, 15, 678000, tzinfo=timezone.utc)
ORDER = Order(
    id=uuid.UUID("12345678-1234-5678-1234-567812345678"),
    placed=WHEN,
    lines=[Address("1 Main St", "12345"), Address("2 Side St")],
    level=Level.HIGH,
    status=Status.CLOSED,
    counts={"a": 1, "b": 2},
    tags=("x", "y"),
    flags=[True, False],
)

# name -> (value, type hint)
VALUE_CASES: dict[str, tuple[Any, Any]] = {
    "none": (None, type(None)),
    "bytes": (b"\x00\xffraw", bytes),
    "str": ("héllo ✓", str),
    "int": (2**40, int),
    "float": (1.25, float),
    "bool": (True, bool),
    "list": ([1, 2, 3], list[int]),
    "tuple": ((1, "a"), tuple[int, str]),
    "dict_int_keys": ({1: "one", 2: "two"}, dict[int, str]),
    "set": ({"only"}, set[str]),
    "datetime": (WHEN, datetime),
    "uuid": (uuid.UUID("87654321-4321-8765-4321-876543218765"), uuid.UUID),
    "int_enum": (Level.LOW, Level),
    "str_enum": (Status.OPEN, Status),
    "literal": ("b", Literal["a", "b"]),
    "typed_dict": ({"title": "Alien", "year": 1979}, Movie),
    "new_type": (UserId(7), UserId),
    "optional_absent": (None, Optional[Address]),  # noqa: UP045
    "union": (Address("3 Union Sq"), Union[int, Address]),  # noqa: UP007
    "dataclass": (ORDER, Order),
    "list_of_dataclasses": ([Address("a"), Address("b", "z")], list[Address]),
    "pydantic": (Customer(name="Ann", joined=WHEN, ids=[1, 2], address=Address("x")), Customer),
}

# --- protobuf messages --------------------------------------------------------------------------


def user_message_class() -> Any:
    """A message that is neither Temporal's nor a well-known type, in the default pool."""
    pool = descriptor_pool.Default()
    name = "tempyral_interop.Greeting"
    try:
        descriptor = pool.FindMessageTypeByName(name)
    except KeyError:
        file = descriptor_pb2.FileDescriptorProto(
            name="tempyral_interop/greeting.proto", package="tempyral_interop", syntax="proto3"
        )
        message = file.message_type.add(name="Greeting")
        message.field.add(name="text", number=1, type=9, label=1)  # string
        message.field.add(name="times", number=2, type=5, label=1)  # int32
        pool.Add(file)
        descriptor = pool.FindMessageTypeByName(name)
    return message_factory.GetMessageClass(descriptor)


def proto_cases(common_v1: Any) -> dict[str, Any]:
    """Messages by case name; ``common_v1`` has the SDK's ``WorkflowExecution`` class."""
    greeting = user_message_class()(text="hi", times=3)
    return {
        "temporal_message": common_v1.WorkflowExecution(workflow_id="wf-1", run_id="run-1"),
        "user_message": greeting,
    }


# --- failures ------------------------------------------------------------------------------------


def _raise_inner() -> None:
    raise ValueError("root cause")


def _caught(raiser: Any) -> BaseException:
    try:
        raiser()
    except BaseException as err:
        return err
    raise AssertionError("raiser did not raise")


def failure_cases(exc: ModuleType) -> dict[str, BaseException]:
    """Exceptions by case name, built with the SDK's ``exceptions`` module."""

    def application_from_cause() -> None:
        try:
            _raise_inner()
        except ValueError as err:
            raise exc.ApplicationError(
                "boom",
                {"k": [1, 2]},
                "second",
                type="MyError",
                non_retryable=True,
                next_retry_delay=timedelta(seconds=3, milliseconds=500),
                category=exc.ApplicationErrorCategory.BENIGN,
            ) from err

    def plain_with_context() -> None:
        try:
            _raise_inner()
        except ValueError:
            raise RuntimeError("while handling") from None

    def plain_context_dropped() -> None:
        try:
            _raise_inner()
        except ValueError:
            raise RuntimeError("context of a plain exception")  # noqa: B904 - the test

    def implicit_context() -> None:
        try:
            _raise_inner()
        except ValueError:
            raise exc.ApplicationError("during handling") from None

    def context_only() -> None:
        try:
            _raise_inner()
        except ValueError:
            raise exc.ApplicationError("context kept")  # noqa: B904 - the context is the test

    def activity() -> None:
        try:
            raise exc.ApplicationError("activity failed", type="Flaky")
        except exc.ApplicationError as err:
            raise exc.ActivityError(
                "Activity task failed",
                scheduled_event_id=5,
                started_event_id=6,
                identity="worker-1",
                activity_type="charge",
                activity_id="1",
                retry_state=exc.RetryState.MAXIMUM_ATTEMPTS_REACHED,
            ) from err

    def child() -> None:
        try:
            raise exc.CancelledError("child cancelled", "why")
        except exc.CancelledError as err:
            raise exc.ChildWorkflowError(
                "Child Workflow execution cancelled",
                namespace="default",
                workflow_id="child-1",
                run_id="run-2",
                workflow_type="Child",
                initiated_event_id=7,
                started_event_id=8,
                retry_state=exc.RetryState.CANCEL_REQUESTED,
            ) from err

    def raise_(error: BaseException) -> Any:
        def raiser() -> None:
            raise error

        return raiser

    return {
        "application_from_cause": _caught(application_from_cause),
        "plain_exception": _caught(plain_with_context),
        "plain_context_dropped": _caught(plain_context_dropped),
        "context_suppressed": _caught(implicit_context),
        "context_kept": _caught(context_only),
        "cancelled": _caught(raise_(exc.CancelledError("stop", {"reason": "user"}))),
        "terminated": _caught(raise_(exc.TerminatedError("bye"))),
        "timeout": _caught(
            raise_(
                exc.TimeoutError(
                    "heartbeat timeout",
                    type=exc.TimeoutType.HEARTBEAT,
                    last_heartbeat_details=[{"progress": 3}],
                )
            )
        ),
        "server": _caught(raise_(exc.ServerError("server says no", non_retryable=True))),
        "activity": _caught(activity),
        "child": _caught(child),
        "nexus": _caught(
            raise_(
                exc.NexusOperationError(
                    "nexus failed",
                    scheduled_event_id=9,
                    endpoint="ep",
                    service="svc",
                    operation="op",
                    operation_token="tok",
                )
            )
        ),
    }


def describe_error(exc: ModuleType, error: BaseException | None) -> Any:
    """What a user sees of a decoded error, as JSON-able data, down the cause chain."""
    if error is None:
        return None
    described: dict[str, Any] = {"class": type(error).__name__, "str": str(error)}
    for attribute in (
        "message",
        "type",
        "details",
        "non_retryable",
        "next_retry_delay",
        "category",
        "last_heartbeat_details",
        "scheduled_event_id",
        "started_event_id",
        "identity",
        "activity_type",
        "activity_id",
        "retry_state",
        "namespace",
        "workflow_id",
        "run_id",
        "workflow_type",
        "initiated_event_id",
        "endpoint",
        "service",
        "operation",
        "operation_token",
    ):
        if hasattr(error, attribute):
            value = getattr(error, attribute)
            described[attribute] = repr(list(value) if isinstance(value, tuple) else value)
    failure = getattr(error, "failure", None)
    described["stack_trace"] = failure.stack_trace if failure is not None else None
    described["is_cancelled"] = exc.is_cancelled_exception(error)
    described["cause"] = describe_error(exc, error.__cause__)
    return described


# --- codec ---------------------------------------------------------------------------------------


def zlib_codec(converter: ModuleType, payload_class: Any) -> Any:
    """A deterministic codec (same bytes in both SDKs) built on the SDK's ``PayloadCodec``."""

    class ZlibCodec(converter.PayloadCodec):  # type: ignore[misc, name-defined]
        async def encode(self, payloads: Any) -> list[Any]:
            return [
                payload_class(
                    metadata={"encoding": b"binary/zlib"},
                    data=zlib.compress(p.SerializeToString()),
                )
                for p in payloads
            ]

        async def decode(self, payloads: Any) -> list[Any]:
            decoded = []
            for p in payloads:
                if p.metadata.get("encoding") != b"binary/zlib":
                    decoded.append(p)
                    continue
                decoded.append(payload_class.FromString(zlib.decompress(p.data)))
            return decoded

    return ZlibCodec()


# --- search attributes and other common types ----------------------------------------------------

SEARCH_ATTRIBUTES: list[tuple[str, str, Any]] = [
    ("for_keyword", "CustomKeyword", "abc"),
    ("for_text", "CustomText", "some words"),
    ("for_int", "CustomInt", 42),
    ("for_float", "CustomFloat", 1.5),
    ("for_bool", "CustomBool", True),
    ("for_datetime", "CustomDatetime", WHEN),
    ("for_keyword_list", "CustomKeywordList", ["a", "b"]),
]


def typed_search_attributes(common: ModuleType) -> Any:
    """The SDK's ``TypedSearchAttributes`` of :data:`SEARCH_ATTRIBUTES`."""
    return common.TypedSearchAttributes(
        [
            common.SearchAttributePair(getattr(common.SearchAttributeKey, factory)(name), value)
            for factory, name, value in SEARCH_ATTRIBUTES
        ]
    )


def describe_value(value: Any) -> str:
    # The official SDK parses date-times with dateutil on Python 3.10 (tzutc() for UTC).
    return value.isoformat() if isinstance(value, datetime) else repr(value)


def describe_search_attributes(typed: Any) -> list[list[str]]:
    return sorted(
        [pair.key.name, pair.key.indexed_value_type.name, describe_value(pair.value)]
        for pair in typed
    )


def retry_policy(common: ModuleType) -> Any:
    return common.RetryPolicy(
        initial_interval=timedelta(milliseconds=1500),
        backoff_coefficient=3.0,
        maximum_attempts=4,
        non_retryable_error_types=["Fatal"],
    )
