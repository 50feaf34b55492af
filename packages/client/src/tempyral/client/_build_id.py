"""Worker build-id compatibility (legacy worker versioning): operations, results and inputs.

A task queue's build ids form ordered *version sets*: ids in one set are compatible with each
other; the last set is the queue's default, the last id of a set is that set's default.
:py:meth:`Client.update_worker_build_id_compatibility` changes the sets with one
:py:class:`BuildIdOp`, :py:meth:`Client.get_worker_build_id_compatibility` reads them, and
:py:meth:`Client.get_worker_task_reachability` says whether tasks can still reach a build id.

The server deprecated these APIs in favour of worker deployments and serves them only when its
dynamic config turns them on (``frontend.workerVersioningDataAPIs`` and
``frontend.workerVersioningWorkflowAPIs``); otherwise each call fails with the server's
``PERMISSION_DENIED``/``UNIMPLEMENTED`` :py:class:`tempyral.service.RPCError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import cast

from tempyral.api.enums.v1 import task_queue_pb2 as task_queue_enums
from tempyral.api.workflowservice.v1 import request_response_pb2 as ws

__all__ = [
    "BuildIdOp",
    "BuildIdOpAddNewCompatible",
    "BuildIdOpAddNewDefault",
    "BuildIdOpMergeSets",
    "BuildIdOpPromoteBuildIdWithinSet",
    "BuildIdOpPromoteSetByBuildId",
    "BuildIdReachability",
    "BuildIdVersionSet",
    "GetWorkerBuildIdCompatibilityInput",
    "GetWorkerTaskReachabilityInput",
    "TaskReachabilityType",
    "UpdateWorkerBuildIdCompatibilityInput",
    "WorkerBuildIdVersionSets",
    "WorkerTaskReachability",
]

_Request = ws.UpdateWorkerBuildIdCompatibilityRequest


# -- version sets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildIdVersionSet:
    """Build ids compatible with each other, oldest first."""

    build_ids: Sequence[str]
    """Every build id of the set; the last one is its default."""

    def default(self) -> str:
        """The set's default build id (its newest)."""
        return self.build_ids[-1]


@dataclass(frozen=True)
class WorkerBuildIdVersionSets:
    """A task queue's version sets, as :py:meth:`Client.get_worker_build_id_compatibility` reads
    them, oldest first."""

    version_sets: Sequence[BuildIdVersionSet]
    """The sets read; the last one is the queue's default."""

    def default_set(self) -> BuildIdVersionSet:
        """The queue's default set: new workflows start on its default build id."""
        return self.version_sets[-1]

    def default_build_id(self) -> str:
        """The build id new workflows of the queue start on."""
        return self.default_set().default()

    @staticmethod
    def _from_proto(response: ws.GetWorkerBuildIdCompatibilityResponse) -> WorkerBuildIdVersionSets:
        return WorkerBuildIdVersionSets(
            version_sets=[BuildIdVersionSet(list(s.build_ids)) for s in response.major_version_sets]
        )


# -- operations --------------------------------------------------------------------------------


class BuildIdOp(ABC):
    """One change to a task queue's version sets (see the ``BuildIdOp*`` subclasses)."""

    @abstractmethod
    def _to_request(self) -> ws.UpdateWorkerBuildIdCompatibilityRequest:
        """The request with this operation set; the caller adds namespace and task queue."""


@dataclass(frozen=True)
class BuildIdOpAddNewDefault(BuildIdOp):
    """Add a build id in a new set that becomes the queue's default: new workflows start on it."""

    build_id: str

    def _to_request(self) -> ws.UpdateWorkerBuildIdCompatibilityRequest:
        return _Request(add_new_build_id_in_new_default_set=self.build_id)


@dataclass(frozen=True)
class BuildIdOpAddNewCompatible(BuildIdOp):
    """Add a build id to the set of an existing one, as that set's new default: workflows running
    on the set continue on the new id."""

    build_id: str
    """The build id to add."""

    existing_compatible_build_id: str
    """A build id already on the queue: the new one joins its set."""

    promote_set: bool = False
    """Also make that set the queue's default."""

    def _to_request(self) -> ws.UpdateWorkerBuildIdCompatibilityRequest:
        return _Request(
            add_new_compatible_build_id=_Request.AddNewCompatibleVersion(
                new_build_id=self.build_id,
                existing_compatible_build_id=self.existing_compatible_build_id,
                make_set_default=self.promote_set,
            )
        )


@dataclass(frozen=True)
class BuildIdOpPromoteSetByBuildId(BuildIdOp):
    """Make the set holding a build id the queue's default."""

    build_id: str
    """Any build id of the set to promote."""

    def _to_request(self) -> ws.UpdateWorkerBuildIdCompatibilityRequest:
        return _Request(promote_set_by_build_id=self.build_id)


@dataclass(frozen=True)
class BuildIdOpPromoteBuildIdWithinSet(BuildIdOp):
    """Make a build id the default of the set it is in."""

    build_id: str

    def _to_request(self) -> ws.UpdateWorkerBuildIdCompatibilityRequest:
        return _Request(promote_build_id_within_set=self.build_id)


@dataclass(frozen=True)
class BuildIdOpMergeSets(BuildIdOp):
    """Merge two sets into one (all their ids become compatible); the primary set's default
    stays the merged set's default."""

    primary_build_id: str
    """A build id of the primary set."""

    secondary_build_id: str
    """A build id of the set merged into the primary one."""

    def _to_request(self) -> ws.UpdateWorkerBuildIdCompatibilityRequest:
        return _Request(
            merge_sets=_Request.MergeSets(
                primary_set_build_id=self.primary_build_id,
                secondary_set_build_id=self.secondary_build_id,
            )
        )


# -- reachability ------------------------------------------------------------------------------


class TaskReachabilityType(Enum):
    """Which workflows tasks of a build id may still reach (values are the server's enum's)."""

    NEW_WORKFLOWS = 1
    EXISTING_WORKFLOWS = 2
    OPEN_WORKFLOWS = 3
    CLOSED_WORKFLOWS = 4

    @staticmethod
    def _from_proto(value: task_queue_enums.TaskReachability) -> TaskReachabilityType:
        try:
            return TaskReachabilityType(int(value))
        except ValueError:
            raise ValueError(
                f"the server sent task reachability {value}, which this client does not know; "
                "upgrade tempyral-client"
            ) from None

    def _to_proto(self) -> task_queue_enums.TaskReachability:
        return cast(task_queue_enums.TaskReachability, self.value)


@dataclass(frozen=True)
class BuildIdReachability:
    """Where one build id can still get tasks."""

    task_queue_reachability: Mapping[str, Sequence[TaskReachabilityType]]
    """Task queue name to what tasks of the build id may reach there; empty: unreachable."""

    unretrieved_task_queues: frozenset[str]
    """Task queues the server did not look at (it limits how many one call covers)."""


@dataclass(frozen=True)
class WorkerTaskReachability:
    """The answer of :py:meth:`Client.get_worker_task_reachability`."""

    build_id_reachability: Mapping[str, BuildIdReachability]
    """Build id to its reachability."""

    @staticmethod
    def _from_proto(response: ws.GetWorkerTaskReachabilityResponse) -> WorkerTaskReachability:
        unspecified = [task_queue_enums.TASK_REACHABILITY_UNSPECIFIED]
        result: dict[str, BuildIdReachability] = {}
        for build_id in response.build_id_reachability:
            by_queue: dict[str, Sequence[TaskReachabilityType]] = {}
            unretrieved: set[str] = set()
            for queue in build_id.task_queue_reachability:
                # The server marks a queue it skipped with a lone UNSPECIFIED.
                if list(queue.reachability) == unspecified:
                    unretrieved.add(queue.task_queue)
                else:
                    by_queue[queue.task_queue] = [
                        TaskReachabilityType._from_proto(r) for r in queue.reachability
                    ]
            result[build_id.build_id] = BuildIdReachability(
                task_queue_reachability=by_queue, unretrieved_task_queues=frozenset(unretrieved)
            )
        return WorkerTaskReachability(build_id_reachability=result)


# -- interceptor inputs ------------------------------------------------------------------------


@dataclass
class UpdateWorkerBuildIdCompatibilityInput:
    """Input of :py:meth:`OutboundInterceptor.update_worker_build_id_compatibility`."""

    task_queue: str
    operation: BuildIdOp
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class GetWorkerBuildIdCompatibilityInput:
    """Input of :py:meth:`OutboundInterceptor.get_worker_build_id_compatibility`."""

    task_queue: str
    max_sets: int | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class GetWorkerTaskReachabilityInput:
    """Input of :py:meth:`OutboundInterceptor.get_worker_task_reachability`."""

    build_ids: Sequence[str]
    task_queues: Sequence[str]
    reachability: TaskReachabilityType | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
