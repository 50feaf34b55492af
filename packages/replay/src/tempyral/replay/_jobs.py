"""Activation jobs: what history tells the workflow code, one small record per happening.

The engine half (state machines) turns history events into jobs; the workflow half (the
deterministic loop and handles) applies them. They mirror the official Core SDK's activation jobs,
so the order in which workflow code observes things matches the official SDKs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Union

from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.api.history.v1 import message_pb2 as history_pb2

__all__ = [
    "CancelWorkflow",
    "DoUpdate",
    "FireTimer",
    "InitializeWorkflow",
    "Job",
    "NotifyHasPatch",
    "QueryWorkflow",
    "ResolveActivity",
    "ResolveCancelExternal",
    "ResolveChild",
    "ResolveChildStart",
    "ResolveLocalActivity",
    "ResolveNexus",
    "ResolveNexusStart",
    "ResolveSignalExternal",
    "SignalWorkflow",
    "UpdateRandomSeed",
]


@dataclass
class InitializeWorkflow:
    attributes: history_pb2.WorkflowExecutionStartedEventAttributes
    randomness_seed: int
    start_time: datetime


@dataclass
class SignalWorkflow:
    name: str
    input: list[common_pb2.Payload]
    headers: dict[str, common_pb2.Payload]
    identity: str
    event_id: int


@dataclass
class CancelWorkflow:
    reason: str


@dataclass
class FireTimer:
    seq: int


@dataclass
class ResolveActivity:
    """``status`` is ``completed`` (``result`` may be None), ``failed`` or ``cancelled``."""

    seq: int
    status: str
    result: common_pb2.Payload | None = None
    failure: failure_pb2.Failure | None = None


@dataclass
class ResolveChildStart:
    """``status`` is ``started`` (with ``run_id``), ``failed`` (with ``cause``) or ``cancelled``."""

    seq: int
    status: str
    run_id: str = ""
    cause: int = 0
    workflow_id: str = ""
    workflow_type: str = ""
    failure: failure_pb2.Failure | None = None


@dataclass
class ResolveChild:
    seq: int
    status: str
    result: common_pb2.Payload | None = None
    failure: failure_pb2.Failure | None = None


@dataclass
class ResolveSignalExternal:
    seq: int
    failure: failure_pb2.Failure | None = None


@dataclass
class ResolveCancelExternal:
    seq: int
    failure: failure_pb2.Failure | None = None


@dataclass
class QueryWorkflow:
    query_id: str
    query_type: str
    arguments: list[common_pb2.Payload] = field(default_factory=list)
    headers: dict[str, common_pb2.Payload] = field(default_factory=dict)


@dataclass
class DoUpdate:
    """An update request to run: from a protocol message, or from history when replaying.

    ``run_validator`` is false on replay: a validator runs only when the update is first delivered.
    """

    id: str
    protocol_instance_id: str
    name: str
    input: list[common_pb2.Payload]
    headers: dict[str, common_pb2.Payload]
    run_validator: bool


@dataclass(frozen=True)
class ResolveLocalActivity:
    """``status`` is ``completed``, ``failed``, ``cancelled``, or ``backoff``: sleep
    ``backoff_ns`` with a timer, then schedule attempt ``backoff_attempt`` again."""

    seq: int
    status: str
    result: common_pb2.Payload | None = None
    failure: failure_pb2.Failure | None = None
    backoff_attempt: int = 0
    backoff_ns: int = 0
    original_schedule_time_ns: int | None = None


@dataclass(frozen=True)
class ResolveNexusStart:
    """A Nexus operation ``started`` (with its ``operation_token``), finished in its start
    (``sync``: a :py:class:`ResolveNexus` follows in the same activation) or ``failed`` before it
    started (with ``failure``; nothing follows)."""

    seq: int
    status: str
    operation_token: str = ""
    failure: failure_pb2.Failure | None = None


@dataclass(frozen=True)
class ResolveNexus:
    """A Nexus operation's outcome: ``completed`` (``result`` may be None), ``failed``,
    ``cancelled`` or ``timed_out`` (with ``failure``)."""

    seq: int
    status: str
    result: common_pb2.Payload | None = None
    failure: failure_pb2.Failure | None = None


@dataclass(frozen=True)
class NotifyHasPatch:
    """History has this patch's marker: ``patched(patch_id)`` is true while replaying."""

    patch_id: str


@dataclass(frozen=True)
class UpdateRandomSeed:
    """The run was reset: ``workflow.random()`` is reseeded from the new run id."""

    randomness_seed: int


Job = Union[  # noqa: UP007 (a runtime alias)
    InitializeWorkflow,
    SignalWorkflow,
    CancelWorkflow,
    FireTimer,
    ResolveActivity,
    ResolveChildStart,
    ResolveChild,
    ResolveSignalExternal,
    ResolveCancelExternal,
    QueryWorkflow,
    DoUpdate,
    ResolveLocalActivity,
    ResolveNexusStart,
    ResolveNexus,
    NotifyHasPatch,
    UpdateRandomSeed,
]
