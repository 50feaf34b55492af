"""Worker configuration: the ``WorkerConfig`` dict, poller behaviours, and checks on both.

``Worker(...)`` takes the official SDK's keyword arguments; :py:func:`validate_config` turns the
combinations the official SDK refuses into the same errors, and options tempyral does not
implement yet into :py:class:`NotImplementedError` naming the option (never silently ignored).
"""

from __future__ import annotations

import concurrent.futures
import os
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict

from tempyral.client import Client
from tempyral.common import VersioningBehavior
from tempyral.worker._interceptor import Interceptor
from tempyral.worker._runners import WorkflowRunner
from tempyral.worker._shared_state import SharedStateManager
from tempyral.worker._tuner import WorkerTuner, slot_supplier_max
from tempyral.worker._versioning import WorkerDeploymentConfig

if TYPE_CHECKING:
    from tempyral.replay import PatchActivationInput
    from tempyral.worker._plugin import Plugin

__all__ = [
    "PollerBehavior",
    "PollerBehaviorAutoscaling",
    "PollerBehaviorSimpleMaximum",
    "WorkerConfig",
    "debug_mode_from_environment",
    "validate_config",
]

_DEBUG_VARIABLES = ("TEMPYRAL_DEBUG", "TEMPORAL_DEBUG")


def debug_mode_from_environment() -> bool:
    """Whether ``TEMPYRAL_DEBUG`` or ``TEMPORAL_DEBUG`` (the official SDK's) ask for debug mode."""
    return any(
        os.environ.get(name, "").lower() not in ("", "0", "false") for name in _DEBUG_VARIABLES
    )


@dataclass(frozen=True)
class PollerBehaviorSimpleMaximum:
    """At most ``maximum`` polls of one kind are open at once."""

    maximum: int = 5
    """At most this many poll calls will ever be open at once. Must be >= 1."""


@dataclass(frozen=True)
class PollerBehaviorAutoscaling:
    """Scale the number of pollers between ``minimum`` and ``maximum`` on what polls return.

    A slot must be free before each poll. tempyral starts ``initial`` polls, adds one when a
    poll brings a task (work is waiting), drops one when a poll comes back empty (the queue is
    idle), and follows the server's own suggestion when a poll carries one (see
    ``_poller_scaling.py``).
    """

    minimum: int = 1
    """At least this many poll calls will always be attempted (assuming slots are available)."""
    maximum: int = 100
    """At most this many poll calls will ever be open at once. Must be >= ``minimum``."""
    initial: int = 5
    """This many polls will be attempted initially before scaling kicks in."""


PollerBehavior: TypeAlias = PollerBehaviorSimpleMaximum | PollerBehaviorAutoscaling


class WorkerConfig(TypedDict, total=False):
    """TypedDict of config originally passed to :py:class:`Worker`."""

    client: Client
    task_queue: str
    activities: Sequence[Callable[..., Any]]
    nexus_service_handlers: Sequence[Any]
    workflows: Sequence[type]
    activity_executor: concurrent.futures.Executor | None
    workflow_task_executor: concurrent.futures.ThreadPoolExecutor | None
    nexus_task_executor: concurrent.futures.ThreadPoolExecutor | None
    workflow_runner: WorkflowRunner
    unsandboxed_workflow_runner: WorkflowRunner
    plugins: Sequence[Plugin]
    interceptors: Sequence[Interceptor]
    build_id: str | None
    identity: str | None
    max_cached_workflows: int
    max_concurrent_workflow_tasks: int | None
    max_concurrent_activities: int | None
    max_concurrent_local_activities: int | None
    max_concurrent_nexus_tasks: int | None
    tuner: WorkerTuner | None
    max_concurrent_workflow_task_polls: int | None
    nonsticky_to_sticky_poll_ratio: float
    max_concurrent_activity_task_polls: int | None
    no_remote_activities: bool
    sticky_queue_schedule_to_start_timeout: timedelta
    max_heartbeat_throttle_interval: timedelta
    default_heartbeat_throttle_interval: timedelta
    max_activities_per_second: float | None
    max_task_queue_activities_per_second: float | None
    max_eager_activity_reservations_per_workflow_task: int
    graceful_shutdown_timeout: timedelta
    plugin_shutdown_timeout: timedelta | None
    workflow_failure_exception_types: Sequence[type[BaseException]]
    shared_state_manager: SharedStateManager | None
    debug_mode: bool
    disable_eager_activity_execution: bool
    on_fatal_error: Callable[[BaseException], Awaitable[None]] | None
    use_worker_versioning: bool
    disable_safe_workflow_eviction: bool
    deployment_config: WorkerDeploymentConfig | None
    patch_activation_callback: Callable[[PatchActivationInput], bool] | None
    workflow_task_poller_behavior: PollerBehavior
    activity_task_poller_behavior: PollerBehavior
    nexus_task_poller_behavior: PollerBehavior
    disable_payload_error_limit: bool
    max_workflow_task_external_storage_concurrency: int
    workflow_deadlock_timeout: timedelta | None
    """tempyral's own: how long workflow code may hold its thread (``None``: no detection)."""


def _not_implemented(option: str, why: str) -> NotImplementedError:
    return NotImplementedError(f"Worker option {option} is not supported by tempyral yet: {why}")


def validate_config(config: WorkerConfig) -> None:
    """Raise for invalid or unsupported combinations, as the official Worker does."""
    if not (
        config.get("activities") or config.get("nexus_service_handlers") or config.get("workflows")
    ):
        raise ValueError("At least one activity, Nexus service, or workflow must be specified")
    if config.get("no_remote_activities") and not config.get("workflows"):
        raise ValueError(
            "no_remote_activities=True leaves this worker nothing to poll: without workflows its "
            "activities could only run as local activities; drop the option or add workflows"
        )
    if not config.get("task_queue"):
        raise ValueError("task_queue is required and cannot be empty")
    if config.get("use_worker_versioning") and not config.get("build_id"):
        raise ValueError("build_id must be specified when use_worker_versioning is True")
    deployment = config.get("deployment_config")
    if deployment and (config.get("build_id") or config.get("use_worker_versioning")):
        raise ValueError("deployment_config cannot be used with build_id or use_worker_versioning")
    if (
        deployment is not None
        and not deployment.use_worker_versioning
        and deployment.default_versioning_behavior != VersioningBehavior.UNSPECIFIED
    ):
        raise ValueError(
            "default_versioning_behavior must be UNSPECIFIED when use_worker_versioning is False"
        )
    if config.get("max_workflow_task_external_storage_concurrency", 3) < 1:
        raise ValueError("max_workflow_task_external_storage_concurrency must be positive")
    _check_deadlock_timeout(config)
    if config.get("max_eager_activity_reservations_per_workflow_task", 3) < 1:
        raise ValueError(
            "max_eager_activity_reservations_per_workflow_task must be positive; use "
            "disable_eager_activity_execution=True to disable eager activity execution"
        )
    counts = {
        "max_concurrent_activities": config.get("max_concurrent_activities"),
        "max_concurrent_activity_task_polls": config.get("max_concurrent_activity_task_polls"),
    }
    for name, value in counts.items():
        if value is not None and value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    rates = {
        "max_activities_per_second": config.get("max_activities_per_second"),
        "max_task_queue_activities_per_second": config.get("max_task_queue_activities_per_second"),
    }
    for name, rate in rates.items():
        if rate is not None and not rate > 0:
            raise ValueError(f"{name} must be a positive number, got {rate}")
    _refuse_unsupported(config)
    _warn_if_executor_too_small(config)


def _check_deadlock_timeout(config: WorkerConfig) -> None:
    deadlock = config.get("workflow_deadlock_timeout")
    if deadlock is not None and deadlock <= timedelta():
        raise ValueError(
            f"workflow_deadlock_timeout must be positive, got {deadlock}; use None to disable "
            "deadlock detection"
        )


def _refuse_unsupported(config: WorkerConfig) -> None:
    _check_tuner(config)
    for kind in ("activity", "workflow", "nexus"):
        behavior = poller_behavior(config, kind)
        if isinstance(behavior, PollerBehaviorAutoscaling):
            _check_autoscaling(f"{kind}_task_poller_behavior", behavior)


def _check_tuner(config: WorkerConfig) -> None:
    tuner = config.get("tuner")
    if tuner is None:
        return
    if not isinstance(tuner, WorkerTuner):
        raise TypeError(
            f"tuner must be a WorkerTuner (WorkerTuner.create_fixed, create_resource_based or "
            f"create_composite), got {type(tuner).__name__}"
        )
    if (
        config.get("max_concurrent_workflow_tasks")
        or config.get("max_concurrent_activities")
        or config.get("max_concurrent_local_activities")
        or config.get("max_concurrent_nexus_tasks")
    ):
        raise ValueError(
            "Cannot specify max_concurrent_workflow_tasks, max_concurrent_activities, "
            "max_concurrent_local_activities, or max_concurrent_nexus_tasks when also "
            "specifying tuner"
        )


def _check_autoscaling(option: str, behavior: PollerBehaviorAutoscaling) -> None:
    # The official core's three checks, in its order and words, plus the values given.
    problem = None
    if behavior.minimum < 1:
        problem = "Autoscaling minimum poller behavior must be at least 1"
    elif behavior.maximum < behavior.minimum:
        problem = "Autoscaling maximum must be greater than or equal to minimum"
    elif not behavior.minimum <= behavior.initial <= behavior.maximum:
        problem = "Autoscaling initial must be between minimum and maximum"
    if problem is not None:
        raise ValueError(
            f"{option}: {problem} (got minimum={behavior.minimum}, initial={behavior.initial}, "
            f"maximum={behavior.maximum})"
        )


def poller_behavior(config: Any, kind: str) -> PollerBehavior:
    """How ``kind`` ("workflow", "activity") tasks are polled: ``max_concurrent_*_task_polls``
    when given (it wins, as in the official SDK), else ``*_task_poller_behavior``."""
    explicit = config.get(f"max_concurrent_{kind}_task_polls")
    if explicit:
        return PollerBehaviorSimpleMaximum(maximum=int(explicit))
    behavior: PollerBehavior = config.get(
        f"{kind}_task_poller_behavior", PollerBehaviorSimpleMaximum()
    )
    return behavior


def _warn_if_executor_too_small(config: WorkerConfig) -> None:
    max_workers = getattr(config.get("activity_executor"), "_max_workers", None)
    concurrent_activities = config.get("max_concurrent_activities")
    tuner = config.get("tuner")
    if isinstance(tuner, WorkerTuner):
        concurrent_activities = slot_supplier_max(tuner._get_activity_task_slot_supplier())
    if isinstance(max_workers, int) and max_workers < (concurrent_activities or 0):
        warnings.warn(
            f"Worker max_concurrent_activities is {concurrent_activities} "
            f"but activity_executor's max_workers is only {max_workers}",
            stacklevel=4,
        )


def activity_poller_count(config: WorkerConfig) -> int:
    """How many activity polls may be open at once."""
    explicit = config.get("max_concurrent_activity_task_polls")
    if explicit:
        return explicit
    behavior = config.get("activity_task_poller_behavior")
    if isinstance(behavior, PollerBehaviorAutoscaling):
        return behavior.initial
    if isinstance(behavior, PollerBehaviorSimpleMaximum):
        if behavior.maximum < 1:
            raise ValueError(
                f"activity_task_poller_behavior maximum must be at least 1, got {behavior.maximum}"
            )
        return behavior.maximum
    return 5
