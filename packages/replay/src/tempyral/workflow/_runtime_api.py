"""The interface between the workflow API and the engine that runs workflow code.

Every call of ``tempyral.workflow`` made inside a workflow goes through
:py:class:`WorkflowRuntimeAPI`, found on the running event loop; the engine's
``tempyral.replay._runtime.WorkflowRuntime`` provides it (mypy checks that where the loop stores
it). Keeping it a Protocol lets the workflow API be read, and type-checked, without the engine.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, NoReturn, Protocol

if TYPE_CHECKING:
    from tempyral.common import MetricMeter, WorkerDeploymentVersion
    from tempyral.converter import PayloadConverter
    from tempyral.workflow._activities import ActivityHandle, ActivityOptions
    from tempyral.workflow._children import ChildWorkflowHandle, ChildWorkflowOptions
    from tempyral.workflow._context import Info
    from tempyral.workflow._local_activities import LocalActivityOptions
    from tempyral.workflow._nexus import NexusOperationCancellationType, NexusOperationHandle

__all__ = ["HandlerKind", "WorkflowRuntimeAPI"]

HandlerKind = Literal["signal", "query", "update"]


class WorkflowRuntimeAPI(Protocol):
    """What the engine provides to workflow code, one running workflow run."""

    @property
    def is_replaying(self) -> bool:
        """Whether the code runs to rebuild state from history."""

    @property
    def read_only(self) -> bool:
        """Whether a query handler or an update validator is running (no side effects allowed)."""

    @property
    def time_ns(self) -> int:
        """Workflow time (from history), in nanoseconds since the epoch."""

    @property
    def cancel_reason(self) -> str | None:
        """Why the run was asked to cancel (None while it was not)."""

    @property
    def payload_converter(self) -> PayloadConverter: ...

    def workflow_info(self) -> Info: ...

    def workflow_metric_meter(self) -> MetricMeter:
        """The run's replay-safe meter (``workflow.metric_meter()``)."""

    def workflow_instance(self) -> Any:
        """The user's workflow object (of their class: nothing more is known here)."""

    def workflow_memo(self) -> Mapping[str, Any]: ...

    def workflow_memo_value(
        self, key: str, default: Any, type_hint: type | None, unset: object
    ) -> Any: ...

    def workflow_random(self) -> random.Random: ...

    def workflow_uuid4(self) -> uuid.UUID: ...

    def workflow_random_seed(self) -> int:
        """The seed ``workflow_random()`` was last seeded with (it changes on reset)."""

    def workflow_register_random_seed_callback(self, callback: Callable[[int], None]) -> None:
        """Call ``callback`` with each new seed (the run was reset)."""

    def workflow_has_last_completion_result(self) -> bool: ...

    def workflow_last_completion_result(self, type_hint: type | None) -> Any | None: ...

    def workflow_last_failure(self) -> BaseException | None: ...

    def is_failure_exception(self, err: BaseException) -> bool: ...

    def workflow_patch(self, patch_id: str, *, deprecated: bool) -> bool: ...

    def workflow_upsert_search_attributes(self, attributes: Any) -> None: ...

    def workflow_upsert_memo(self, updates: Mapping[str, Any]) -> None: ...

    def workflow_get_current_details(self) -> str: ...

    def workflow_set_current_details(self, details: str) -> None: ...

    def workflow_get_current_history_length(self) -> int: ...

    def workflow_get_current_history_size(self) -> int: ...

    def workflow_is_continue_as_new_suggested(self) -> bool: ...

    def workflow_extern_functions(self) -> Mapping[str, Callable[..., Any]]: ...

    def workflow_get_current_build_id(self) -> str: ...

    def workflow_get_current_deployment_version(self) -> WorkerDeploymentVersion | None: ...

    def workflow_is_target_worker_deployment_version_changed(self) -> bool: ...

    def workflow_continue_as_new(self, args: Sequence[Any], options: Mapping[str, Any]) -> NoReturn:
        """Raise ``ContinueAsNewError`` through the outbound interceptors (which may add headers);
        ``options`` are ``continue_as_new``'s keyword arguments."""

    def assert_not_read_only(self, action: str, *, allow_internal: bool = False) -> None:
        """Raise ``ReadOnlyContextError`` when called from a query handler."""

    async def workflow_sleep(self, seconds: float, *, summary: str | None = None) -> None: ...

    async def workflow_wait_condition(
        self, fn: Callable[[], bool], *, timeout: float | None, timeout_summary: str | None
    ) -> None: ...

    def get_handler(self, kind: HandlerKind, name: str | None) -> Callable[..., Any] | None: ...

    def set_handler(
        self, kind: HandlerKind, name: str | None, handler: Callable[..., Any] | None
    ) -> None: ...

    def set_update_handler(
        self,
        name: str | None,
        handler: Callable[..., Any] | None,
        validator: Callable[..., Any] | None,
    ) -> None: ...

    def all_handlers_finished(self) -> bool:
        """No update or signal handler is still running."""

    def start_activity(self, options: ActivityOptions) -> ActivityHandle[Any]: ...

    def start_local_activity(self, options: LocalActivityOptions) -> ActivityHandle[Any]: ...

    async def start_child_workflow(
        self, options: ChildWorkflowOptions
    ) -> ChildWorkflowHandle[Any, Any]: ...

    async def signal_external(
        self,
        workflow_id: str,
        run_id: str | None,
        name: str,
        args: Sequence[Any],
        *,
        child_workflow_only: bool,
    ) -> None: ...

    async def cancel_external(self, workflow_id: str, run_id: str | None) -> None: ...

    async def workflow_start_nexus_operation(
        self,
        *,
        endpoint: str,
        service: str,
        operation: Any,
        input: Any,
        output_type: type | None,
        schedule_to_close_timeout: timedelta | None,
        schedule_to_start_timeout: timedelta | None,
        start_to_close_timeout: timedelta | None,
        cancellation_type: NexusOperationCancellationType,
        headers: Mapping[str, str] | None,
        summary: str | None,
        event_groups: Sequence[Any] | None,
    ) -> NexusOperationHandle[Any]:
        """Start a Nexus operation through the outbound interceptors; returns once started."""
