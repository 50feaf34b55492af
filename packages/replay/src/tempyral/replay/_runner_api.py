"""Custom workflow runners: the instance that runs one workflow's code, and what it is made from.

The official SDK lets a ``WorkflowRunner`` create each run's ``WorkflowInstance`` from
``WorkflowInstanceDetails`` (its sandbox runner does so inside the sandbox). tempyral offers the
same names with the closest semantics its engine allows:

* :py:class:`WorkflowInstanceDetails` carries the official fields (definition, info, seed,
  converters, interceptor classes, extern functions, ...), built when a run's first task starts;
* :py:class:`RunnerWorkflowInstance` (``tempyral.worker.WorkflowInstance``) is asked to
  ``activate`` the workflow code once per activation and to describe itself, as the official
  one is. Its activations are tempyral's own (:py:class:`WorkflowActivation`: the engine's jobs
  of a task) and its completion the code's requests (:py:class:`WorkflowActivationCompletion`),
  not the Core SDK's protobufs;
* the engine itself runs workflow code, so every instance must come, directly or wrapped, from
  :py:func:`create_default_instance` (what ``UnsandboxedWorkflowRunner.create_instance``
  returns). A runner that wraps the default one (to observe or adjust activations) works; one
  that builds an instance of its own is refused with an error saying so.
"""

from __future__ import annotations

import contextvars
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tempyral.api.common.v1.message_pb2 import Payloads
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.converter import (
    FailureConverter,
    PayloadConverter,
    SerializationContext,
    WorkflowSerializationContext,
)
from tempyral.replay._interceptor_api import PatchActivationInput, WorkflowInboundInterceptor

if TYPE_CHECKING:
    from tempyral.converter import StorageDriverStoreContext
    from tempyral.replay._intents import Intent
    from tempyral.replay._jobs import Job
    from tempyral.replay._runtime import WorkflowRuntime
    from tempyral.workflow._context import Info
    from tempyral.workflow._definition import _Definition

__all__ = [
    "RunnerWorkflowInstance",
    "WorkflowActivation",
    "WorkflowActivationCompletion",
    "WorkflowInstanceDetails",
    "create_default_instance",
    "create_through",
]


@dataclass(frozen=True)
class WorkflowActivation:
    """One activation of a workflow's code: the jobs of a workflow task (signals, resolutions,
    queries, ...), the workflow time and whether history is being replayed."""

    jobs: Sequence[Job]
    time_ns: int
    is_replaying: bool


@dataclass
class WorkflowActivationCompletion:
    """What the code asked for in an activation, in order, or the error that fails the task."""

    intents: list[Intent] = field(default_factory=list)
    failure: BaseException | None = None


class _EngineHook:
    """Builds the run's engine runtime for the default instance; the engine reads it back."""

    def __init__(self, build: Callable[[], WorkflowRuntime]) -> None:
        self._build = build
        self.runtime: WorkflowRuntime | None = None

    def build(self) -> WorkflowRuntime:
        if self.runtime is not None:
            raise RuntimeError("a run's default workflow instance can be created only once")
        self.runtime = self._build()
        return self.runtime


@dataclass(frozen=True)
class WorkflowInstanceDetails:
    """Immutable details for creating a workflow instance."""

    payload_converter_factory: Callable[[], PayloadConverter]
    failure_converter_class: type[FailureConverter]
    interceptor_classes: Sequence[type[WorkflowInboundInterceptor]]
    defn: _Definition
    info: Info
    randomness_seed: int
    extern_functions: Mapping[str, Callable[..., Any]]
    disable_eager_activity_execution: bool
    worker_level_failure_exception_types: Sequence[type[BaseException]]
    patch_activation_callback: Callable[[PatchActivationInput], bool] | None
    last_completion_result: Payloads
    last_failure: Failure | None
    default_workflow_logic_flags: frozenset[Any] = frozenset()
    """Accepted for compatibility: tempyral's engine keeps its own behaviour flags."""


class RunnerWorkflowInstance(ABC):
    """Instance of a workflow that can handle activations."""

    @abstractmethod
    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        """Handle an activation and return completion.

        This should never raise an exception, but instead catch all exceptions
        and set as completion failure.
        """
        raise NotImplementedError

    @abstractmethod
    def get_serialization_context(self, command_info: Any | None) -> SerializationContext | None:
        """Return appropriate serialization context (tempyral ignores ``command_info``)."""
        raise NotImplementedError

    @abstractmethod
    def get_external_store_context(self, command_info: Any | None) -> StorageDriverStoreContext:
        """Return appropriate store context for external storage operations."""
        raise NotImplementedError

    @abstractmethod
    def get_info(self) -> Info:
        """Return the workflow info for this instance."""
        raise NotImplementedError

    def get_thread_id(self) -> int | None:
        """Return the thread identifier that this workflow is running on.

        Not an abstractmethod because it is not mandatory to implement.
        """
        return None


class _DefaultInstance(RunnerWorkflowInstance):
    """The engine's runtime behind the runner interface."""

    def __init__(self, runtime: WorkflowRuntime) -> None:
        self._runtime = runtime
        self._thread_id: int | None = None

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        self._thread_id = threading.get_ident()
        runtime = self._runtime
        try:
            intents = runtime.activate(act.jobs, time_ns=act.time_ns, replaying=act.is_replaying)
        except Exception as err:  # the engine reports code errors itself; this is a last guard
            return WorkflowActivationCompletion(failure=err)
        return WorkflowActivationCompletion(intents, runtime.activation_error)

    def get_serialization_context(self, command_info: Any | None) -> SerializationContext | None:
        info = self._runtime.info
        return WorkflowSerializationContext(namespace=info.namespace, workflow_id=info.workflow_id)

    def get_external_store_context(self, command_info: Any | None) -> StorageDriverStoreContext:
        # Imported here: external storage loads only for those who use it.
        from tempyral.converter import StorageDriverStoreContext, StorageDriverWorkflowInfo

        info = self._runtime.info
        return StorageDriverStoreContext(
            target=StorageDriverWorkflowInfo(
                namespace=info.namespace,
                id=info.workflow_id,
                run_id=info.run_id,
                type=info.workflow_type,
            )
        )

    def get_info(self) -> Info:
        return self._runtime.info

    def get_thread_id(self) -> int | None:
        return self._thread_id


# The engine of the run whose instance is being created (set around the runner's create_instance):
# the details stay the official dataclass, which a runner may copy with dataclasses.replace.
_creating: contextvars.ContextVar[_EngineHook | None] = contextvars.ContextVar(
    "tempyral-creating-instance", default=None
)


def create_default_instance(det: WorkflowInstanceDetails) -> RunnerWorkflowInstance:
    """The instance tempyral's engine runs workflow code with (what
    ``UnsandboxedWorkflowRunner.create_instance`` returns)."""
    hook = _creating.get()
    if hook is None:
        raise RuntimeError(
            "create_default_instance is called by tempyral's engine through a workflow runner's"
            " create_instance, not on its own"
        )
    return _DefaultInstance(hook.build())


def create_through(
    create: Callable[[WorkflowInstanceDetails], RunnerWorkflowInstance],
    det: WorkflowInstanceDetails,
    build: Callable[[], WorkflowRuntime],
) -> tuple[RunnerWorkflowInstance, WorkflowRuntime]:
    """Ask ``create`` for the run's instance; return it with the engine runtime it wraps."""
    hook = _EngineHook(build)
    token = _creating.set(hook)
    try:
        instance = create(det)
    finally:
        _creating.reset(token)
    if hook.runtime is None or not isinstance(instance, RunnerWorkflowInstance):
        raise TypeError(
            f"the workflow runner's create_instance returned {instance!r} without creating the"
            " default instance: tempyral's engine runs workflow code itself, so a custom"
            " WorkflowRunner must return UnsandboxedWorkflowRunner().create_instance(det), or a"
            " WorkflowInstance that wraps it"
        )
    return instance, hook.runtime
