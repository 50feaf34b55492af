"""The running activity's context, and the functions activity code calls to reach it.

The worker sets a :py:class:`_Context` in a :py:mod:`contextvars` variable before running the
activity: on the event loop for ``async def`` activities, and in the executor thread for the
others. Code that runs elsewhere (a thread the activity starts itself) does not see it unless the
context is propagated, as with the official SDK.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from tempyral.activity._info import ActivityCancellationDetails, Info
from tempyral.common import MetricMeter
from tempyral.converter import PayloadConverter

if TYPE_CHECKING:
    from tempyral.client import Client

__all__ = [
    "cancellation_details",
    "client",
    "heartbeat",
    "in_activity",
    "info",
    "is_cancelled",
    "is_worker_shutdown",
    "metric_meter",
    "payload_converter",
    "raise_complete_async",
    "shield_thread_cancel_exception",
    "wait_for_cancelled",
    "wait_for_cancelled_sync",
    "wait_for_worker_shutdown",
    "wait_for_worker_shutdown_sync",
]


class _CompositeEvent:
    """A flag readable from threads (``thread_event``) and, for async code, awaitable.

    ``set`` is called on the event loop's thread, so the asyncio event may be set directly.
    """

    def __init__(self, *, thread_event: threading.Event, async_event: asyncio.Event | None) -> None:
        self.thread_event = thread_event
        self.async_event = async_event

    def set(self) -> None:
        self.thread_event.set()
        if self.async_event is not None:
            self.async_event.set()

    def is_set(self) -> bool:
        return self.thread_event.is_set()

    async def wait(self) -> None:
        if self.async_event is None:
            raise RuntimeError("not in an async activity: use the _sync variant in a thread")
        await self.async_event.wait()

    def wait_sync(self, timeout: float | None = None) -> None:
        self.thread_event.wait(timeout)


@dataclass
class _ActivityCancellationDetailsHolder:
    details: ActivityCancellationDetails | None = None


@dataclass
class _Context:
    info: Callable[[], Info]
    # None while interceptors are being initialised.
    heartbeat: Callable[..., None] | None
    cancelled_event: _CompositeEvent
    worker_shutdown_event: _CompositeEvent
    shield_thread_cancel_exception: Callable[[], AbstractContextManager[None]] | None
    payload_converter_instance: PayloadConverter
    runtime_metric_meter: MetricMeter | None
    client: Client | None
    cancellation_details: _ActivityCancellationDetailsHolder
    _logger_details: Mapping[str, Any] | None = None
    _metric_meter: MetricMeter | None = None

    @staticmethod
    def current() -> _Context:
        context = _current_context.get(None)
        if context is None:
            raise RuntimeError("Not in activity context")
        return context

    @staticmethod
    def set(context: _Context) -> contextvars.Token[_Context]:
        return _current_context.set(context)

    @staticmethod
    def reset(token: contextvars.Token[_Context]) -> None:
        _current_context.reset(token)

    @property
    def logger_details(self) -> Mapping[str, Any]:
        if self._logger_details is None:
            self._logger_details = self.info()._logger_details()
        return self._logger_details

    @property
    def metric_meter(self) -> MetricMeter:
        if self.runtime_metric_meter is None:
            raise RuntimeError("Metric meter not available in this activity")
        if self._metric_meter is None:
            info = self.info()
            self._metric_meter = self.runtime_metric_meter.with_additional_attributes(
                {
                    "namespace": info.namespace,
                    "task_queue": info.task_queue,
                    "activity_type": info.activity_type,
                }
            )
        return self._metric_meter


_current_context: contextvars.ContextVar[_Context] = contextvars.ContextVar("tempyral-activity")


class _CompleteAsyncError(BaseException):
    """Raised by :py:func:`raise_complete_async`; a BaseException so ``except Exception``
    in activity code does not swallow it."""


def client() -> Client:
    """Return the Temporal client of the worker running this activity.

    The client is only available in ``async def`` activities.

    Raises:
        RuntimeError: When the client is not available.
    """
    found = _Context.current().client
    if found is None:
        raise RuntimeError(
            "No client available. The client is only available in `async def` activities; "
            "not in `def` activities."
        )
    return found


def in_activity() -> bool:
    """Whether the current code is inside an activity."""
    return _current_context.get(None) is not None


def info() -> Info:
    """Current activity's info.

    Raises:
        RuntimeError: When not in an activity.
    """
    return _Context.current().info()


def cancellation_details() -> ActivityCancellationDetails | None:
    """Cancellation details of the current activity, if any. Once set, they do not change."""
    return _Context.current().cancellation_details.details


def heartbeat(*details: Any) -> None:
    """Send a heartbeat for the current activity.

    Heartbeats are throttled: the first is sent at once, later ones at most every 0.8 x the
    heartbeat timeout (or every 30 s without one), each time with the latest details.

    Raises:
        RuntimeError: When not in an activity.
    """
    heartbeat_fn = _Context.current().heartbeat
    if heartbeat_fn is None:
        raise RuntimeError("Can only execute heartbeat after interceptor init")
    heartbeat_fn(*details)


def is_cancelled() -> bool:
    """Whether a cancellation was ever requested on this activity.

    Raises:
        RuntimeError: When not in an activity.
    """
    return _Context.current().cancelled_event.is_set()


@contextmanager
def shield_thread_cancel_exception() -> Iterator[None]:
    """Delay the cancellation exception of a synchronous threaded activity until the block ends.

    If a cancellation arrives inside the block, :py:class:`tempyral.exceptions.CancelledError`
    is raised when the outermost shield block exits, even if the block returned or raised.
    Async activities and activities that opted out of thread cancel exceptions run the block
    unchanged.
    """
    shield = _Context.current().shield_thread_cancel_exception
    if shield is None:
        yield None
    else:
        with shield():
            yield None


async def wait_for_cancelled() -> None:
    """Wait for this activity to get a cancellation request.

    Raises:
        RuntimeError: When not in an async activity.
    """
    await _Context.current().cancelled_event.wait()


def wait_for_cancelled_sync(timeout: timedelta | float | None = None) -> None:
    """Block until this activity gets a cancellation request (or ``timeout`` passes).

    Raises:
        RuntimeError: When not in an activity.
    """
    _Context.current().cancelled_event.wait_sync(_seconds(timeout))


def is_worker_shutdown() -> bool:
    """Whether shutdown has been invoked on the worker.

    Raises:
        RuntimeError: When not in an activity.
    """
    return _Context.current().worker_shutdown_event.is_set()


async def wait_for_worker_shutdown() -> None:
    """Wait for shutdown to be called on the worker.

    Raises:
        RuntimeError: When not in an async activity.
    """
    await _Context.current().worker_shutdown_event.wait()


def wait_for_worker_shutdown_sync(timeout: timedelta | float | None = None) -> None:
    """Block until shutdown is called on the worker (or ``timeout`` passes).

    Raises:
        RuntimeError: When not in an activity.
    """
    _Context.current().worker_shutdown_event.wait_sync(_seconds(timeout))


def raise_complete_async() -> NoReturn:
    """Raise an error that says the activity will be completed asynchronously, later, by a
    client holding its task token."""
    raise _CompleteAsyncError()


def payload_converter() -> PayloadConverter:
    """The payload converter of the current activity, with its serialization context set.

    Often used by dynamic activities to convert :py:class:`tempyral.common.RawValue` payloads.
    """
    return _Context.current().payload_converter_instance


def metric_meter() -> MetricMeter:
    """The metric meter of the current activity.

    The worker's runtime meter (:py:class:`tempyral.runtime.Runtime`; no-op when no metrics
    are configured), with the activity's namespace, task queue and type as attributes.

    Raises:
        RuntimeError: When not in an activity.
    """
    return _Context.current().metric_meter


def _seconds(timeout: timedelta | float | None) -> float | None:
    return timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
