"""Workflow context: ``info()``, time, randomness, handlers, ``sleep``, ``wait_condition``,
``continue_as_new`` and the other calls workflow code makes about itself.

Every call reaches the running workflow through the engine's
:py:class:`~tempyral.workflow._runtime_api.WorkflowRuntimeAPI`, found on the running event loop.
Outside a workflow they raise ``_NotInWorkflowEventLoopError``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from random import Random
from typing import TYPE_CHECKING, Any, NoReturn

from tempyral.api.common.v1 import message_pb2 as common_pb2

if TYPE_CHECKING:
    from tempyral.common import MetricMeter, WorkerDeploymentVersion
    from tempyral.converter import PayloadConverter
    from tempyral.workflow._runtime_api import WorkflowRuntimeAPI

__all__ = [
    "ContinueAsNewError",
    "Info",
    "LoggerAdapter",
    "ParentInfo",
    "ReadOnlyContextError",
    "RootInfo",
    "cancellation_reason",
    "continue_as_new",
    "deprecate_patch",
    "extern_functions",
    "get_current_details",
    "get_dynamic_query_handler",
    "get_dynamic_signal_handler",
    "get_query_handler",
    "get_signal_handler",
    "in_workflow",
    "info",
    "instance",
    "is_failure_exception",
    "memo",
    "memo_value",
    "metric_meter",
    "now",
    "patched",
    "payload_converter",
    "random",
    "set_current_details",
    "set_dynamic_query_handler",
    "set_dynamic_signal_handler",
    "set_query_handler",
    "set_signal_handler",
    "sleep",
    "time",
    "time_ns",
    "upsert_memo",
    "upsert_search_attributes",
    "uuid4",
    "wait_condition",
]


class _NotInWorkflowEventLoopError(RuntimeError):
    def __init__(self, message: str = "Not in workflow event loop") -> None:
        super().__init__(message)


class ReadOnlyContextError(RuntimeError):
    """A query handler (or update validator) tried to change workflow state or issue a command."""


@dataclass(frozen=True)
class ParentInfo:
    namespace: str
    run_id: str
    workflow_id: str


@dataclass(frozen=True)
class RootInfo:
    run_id: str
    workflow_id: str


@dataclass(frozen=True)
class Info:
    """Information about the running workflow (``workflow.info()``)."""

    attempt: int
    continued_run_id: str | None
    cron_schedule: str | None
    execution_timeout: timedelta | None
    first_execution_run_id: str
    headers: Mapping[str, common_pb2.Payload]
    namespace: str
    original_execution_run_id: str
    parent: ParentInfo | None
    root: RootInfo | None
    priority: Any
    raw_memo: Mapping[str, common_pb2.Payload]
    retry_policy: Any
    run_id: str
    run_timeout: timedelta | None
    search_attributes: Mapping[str, Sequence[Any]]
    start_time: datetime
    task_queue: str
    task_timeout: timedelta
    typed_search_attributes: Any
    workflow_id: str
    workflow_start_time: datetime
    workflow_type: str

    def get_current_history_length(self) -> int:
        """Events in history up to the workflow task the code runs in."""
        return _Runtime.current().workflow_get_current_history_length()

    def get_current_history_size(self) -> int:
        """Bytes of history up to the workflow task the code runs in (as the server counts)."""
        return _Runtime.current().workflow_get_current_history_size()

    def is_continue_as_new_suggested(self) -> bool:
        """Whether the server suggests continuing as new (history grows near its limits)."""
        return _Runtime.current().workflow_is_continue_as_new_suggested()

    def get_current_build_id(self) -> str:
        """The build ID of the worker that ran the current workflow task ("" if it had none).

        Read from history on replay, so it is deterministic and safe to branch on; a task run
        for the first time reports this worker's own. It may change over the run's life.

        .. deprecated::
            Use :py:meth:`get_current_deployment_version` instead.
        """
        return _Runtime.current().workflow_get_current_build_id()

    def get_current_deployment_version(self) -> WorkerDeploymentVersion | None:
        """The deployment version of the worker that ran the current workflow task.

        None when that worker had neither a deployment version nor a build ID (a build ID alone
        gives a version with an empty deployment name). Deterministic like
        :py:meth:`get_current_build_id`.
        """
        return _Runtime.current().workflow_get_current_deployment_version()

    def is_target_worker_deployment_version_changed(self) -> bool:
        """Whether the server's target worker deployment version for this workflow changed
        (as of the current workflow task): a hint to continue as new onto the new version.

        Experimental upstream (upgrade on continue-as-new).
        """
        return _Runtime.current().workflow_is_target_worker_deployment_version_changed()

    def _logger_details(self) -> Mapping[str, Any]:
        return {
            "attempt": self.attempt,
            "namespace": self.namespace,
            "run_id": self.run_id,
            "task_queue": self.task_queue,
            "workflow_id": self.workflow_id,
            "workflow_type": self.workflow_type,
        }


class ContinueAsNewError(BaseException):
    """Raised by ``continue_as_new()``; the engine turns it into the continue-as-new command."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("Continue as new")
        self.input_args = args
        self.options = kwargs


class _Runtime:
    """Finds the engine's :py:class:`WorkflowRuntimeAPI` on the running (workflow) event loop."""

    @staticmethod
    def current() -> WorkflowRuntimeAPI:
        runtime = _Runtime.maybe_current()
        if runtime is None:
            raise _NotInWorkflowEventLoopError()
        return runtime

    @staticmethod
    def maybe_current() -> WorkflowRuntimeAPI | None:
        loop = asyncio._get_running_loop()
        runtime: WorkflowRuntimeAPI | None = getattr(loop, "tempyral_workflow_api", None)
        return runtime


def in_workflow() -> bool:
    """Whether the caller runs in workflow code."""
    return _Runtime.maybe_current() is not None


def info() -> Info:
    return _Runtime.current().workflow_info()


def extern_functions() -> Mapping[str, Callable[..., Any]]:
    """The functions the worker's interceptors offered to workflow code (their
    ``WorkflowInterceptorClassInput.unsafe_extern_functions``).

    The official SDK passes them into its sandbox; tempyral has none, and offers them the same.
    They are not deterministic: use them with care.
    """
    return _Runtime.current().workflow_extern_functions()


def metric_meter() -> MetricMeter:
    """The workflow's metric meter: records made while replaying are dropped.

    Its metrics carry ``namespace``, ``task_queue`` and ``workflow_type``; a worker exports them
    through its client's :py:class:`tempyral.runtime.Runtime`.
    """
    return _Runtime.current().workflow_metric_meter()


def instance() -> Any:
    """The workflow class instance of the running workflow."""
    return _Runtime.current().workflow_instance()


def memo() -> Mapping[str, Any]:
    return _Runtime.current().workflow_memo()


_unset: Any = object()


def memo_value(key: str, default: Any = _unset, *, type_hint: type | None = None) -> Any:
    """One memo value, decoded (``KeyError`` when absent and no default is given)."""
    return _Runtime.current().workflow_memo_value(key, default, type_hint, _unset)


def cancellation_reason() -> str | None:
    return _Runtime.current().cancel_reason


def is_failure_exception(err: BaseException) -> bool:
    """Whether this error, raised by the workflow, fails the workflow (rather than its task)."""
    return _Runtime.current().is_failure_exception(err)


def now() -> datetime:
    """Workflow time (from history), timezone-aware UTC; deterministic on replay."""
    return datetime.fromtimestamp(time_ns() / 1e9, timezone.utc)


def time() -> float:
    return time_ns() / 1e9


def time_ns() -> int:
    return _Runtime.current().time_ns


def random() -> Random:
    """A ``random.Random`` seeded from the workflow run, identical under replay."""
    return _Runtime.current().workflow_random()


def uuid4() -> uuid.UUID:
    """A version-4 UUID drawn from ``random()`` (deterministic, not cryptographically safe)."""
    return uuid.UUID(bytes=random().getrandbits(128).to_bytes(16, "big"), version=4)


def payload_converter() -> PayloadConverter:
    return _Runtime.current().payload_converter


async def sleep(
    duration: float | timedelta, *, summary: str | None = None, event_groups: Any = None
) -> None:
    """Sleep for a duration of workflow time: a durable timer."""
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else duration
    with _direct_event_groups(event_groups):
        await _Runtime.current().workflow_sleep(seconds, summary=summary)


async def wait_condition(
    fn: Callable[[], bool],
    *,
    timeout: timedelta | float | None = None,
    timeout_summary: str | None = None,
    event_groups: Any = None,
) -> None:
    """Wait until ``fn()`` is true; raises ``asyncio.TimeoutError`` after ``timeout``."""
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
    with _direct_event_groups(event_groups):
        await _Runtime.current().workflow_wait_condition(
            fn, timeout=seconds, timeout_summary=timeout_summary
        )


def continue_as_new(
    arg: Any = _unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    retry_policy: Any = None,
    memo: Mapping[str, Any] | None = None,
    search_attributes: Any = None,
    workflow: Callable[..., Any] | str | None = None,
    versioning_intent: Any = None,
    backoff_start_interval: timedelta | None = None,
    initial_versioning_behavior: Any = None,
    event_groups: Any = None,
) -> NoReturn:
    """Stop this run and start a new one of the same workflow id with these arguments."""
    runtime = _Runtime.current()
    runtime.assert_not_read_only("continue as new")
    values = list(args) if arg is _unset else [arg]
    runtime.workflow_continue_as_new(
        values,
        {
            "task_queue": task_queue,
            "run_timeout": run_timeout,
            "task_timeout": task_timeout,
            "retry_policy": retry_policy,
            "memo": memo,
            "search_attributes": search_attributes,
            "workflow": workflow,
            "versioning_intent": versioning_intent,
            "backoff_start_interval": backoff_start_interval,
            "initial_versioning_behavior": initial_versioning_behavior,
        },
    )


def get_signal_handler(name: str) -> Callable[..., Any] | None:
    return _Runtime.current().get_handler("signal", name)


def set_signal_handler(name: str, handler: Callable[..., Any] | None) -> None:
    _Runtime.current().set_handler("signal", name, handler)


def get_dynamic_signal_handler() -> Callable[..., Any] | None:
    return _Runtime.current().get_handler("signal", None)


def set_dynamic_signal_handler(handler: Callable[..., Any] | None) -> None:
    _Runtime.current().set_handler("signal", None, handler)


def get_query_handler(name: str) -> Callable[..., Any] | None:
    return _Runtime.current().get_handler("query", name)


def set_query_handler(name: str, handler: Callable[..., Any] | None) -> None:
    _Runtime.current().set_handler("query", name, handler)


def get_dynamic_query_handler() -> Callable[..., Any] | None:
    return _Runtime.current().get_handler("query", None)


def set_dynamic_query_handler(handler: Callable[..., Any] | None) -> None:
    _Runtime.current().set_handler("query", None, handler)


if TYPE_CHECKING:
    _LoggerAdapter = logging.LoggerAdapter[logging.Logger]
else:  # not subscriptable at run time before Python 3.11
    _LoggerAdapter = logging.LoggerAdapter


class LoggerAdapter(_LoggerAdapter):
    """The class of ``workflow.logger``: adds the running workflow's details to each record and,
    by default, stays silent while the workflow replays (so each line is logged once).

    Attributes:
        workflow_info_on_message: append the workflow's details to each message (default True).
        workflow_info_on_extra: put them under ``temporal_workflow`` in the record's ``extra``
            (default True).
        full_workflow_info_on_extra: put the whole ``workflow.info()`` under ``workflow_info``
            in ``extra`` (default False).
        log_during_replay: log while replaying too (default False).

    A logging call's own ``extra`` values win over the ones added here.
    """

    def __init__(self, logger: logging.Logger, extra: Mapping[str, Any] | None) -> None:
        super().__init__(logger, extra or {})
        self.workflow_info_on_message = True
        self.workflow_info_on_extra = True
        self.full_workflow_info_on_extra = False
        self.log_during_replay = False
        # Kept for code written against the official SDK; tempyral has no sandbox to disable.
        self.disable_sandbox = False

    def isEnabledFor(self, level: int) -> bool:
        runtime = _Runtime.maybe_current()
        if not self.log_during_replay and runtime is not None and runtime.is_replaying:
            return False
        return super().isEnabledFor(level)

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        runtime = _Runtime.maybe_current()
        if runtime is None:
            return msg, kwargs
        info = runtime.workflow_info()
        details = dict(info._logger_details())
        extra: dict[str, Any] = {}
        if self.workflow_info_on_extra:
            extra["temporal_workflow"] = details
        if self.full_workflow_info_on_extra:
            extra["workflow_info"] = info
        kwargs["extra"] = {**extra, **(kwargs.get("extra") or {})}
        if self.workflow_info_on_message:
            msg = f"{msg} ({details})"
        return msg, kwargs

    @property
    def base_logger(self) -> logging.Logger:
        """The wrapped logger (to add handlers or formatters to)."""
        return self.logger

    def unsafe_disable_sandbox(self, value: bool = True) -> None:
        """Accepted for compatibility: tempyral runs workflows without a sandbox to disable."""
        self.disable_sandbox = value


logger = LoggerAdapter(logging.getLogger("tempyral.workflow"), None)
"""``workflow.logger``: workflow details on each record; silent while replaying."""


def patched(id: str, *, event_groups: Any = None) -> bool:
    """Whether to take the new code path of patch ``id``.

    True when the run is not replaying (a marker is recorded) or when its history has the
    patch's marker; the answer stays the same for the rest of the run.
    """
    with _direct_event_groups(event_groups):
        return _Runtime.current().workflow_patch(id, deprecated=False)


def deprecate_patch(id: str, *, event_groups: Any = None) -> None:
    """Say that every run which took the old path of patch ``id`` is gone: its marker is
    still recorded, and histories that lack it replay too. Remove the call in a later release."""
    _Runtime.current().workflow_patch(id, deprecated=True)


def upsert_search_attributes(attributes: Any, *, event_groups: Any = None) -> None:
    """Set or unset search attributes of this run (``key.value_set(...)`` /
    ``key.value_unset()`` updates; the dictionary form is deprecated)."""
    if not attributes:
        return
    if isinstance(attributes, Mapping):
        warnings.warn(
            "Dictionary-based search attributes are deprecated",
            DeprecationWarning,
            stacklevel=2,
        )
    with _direct_event_groups(event_groups):
        _Runtime.current().workflow_upsert_search_attributes(attributes)


def upsert_memo(updates: Mapping[str, Any], *, event_groups: Any = None) -> None:
    """Add, replace or (with ``None``) remove memo entries of this run."""
    with _direct_event_groups(event_groups):
        _Runtime.current().workflow_upsert_memo(updates)


def get_current_details() -> str:
    """The run's current details (shown by the UI and ``temporal workflow metadata``)."""
    return _Runtime.current().workflow_get_current_details()


def set_current_details(description: str) -> None:
    """Set the run's current details (Temporal markdown; may span lines)."""
    _Runtime.current().workflow_set_current_details(description)


def _direct_event_groups(groups: Any) -> AbstractContextManager[None]:
    # Imported here: _event_groups builds on this module.
    from tempyral.workflow._event_groups import direct_event_groups

    return direct_event_groups(groups)
