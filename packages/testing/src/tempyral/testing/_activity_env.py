"""``ActivityEnvironment``: run activity code in a test, without a worker or a server.

Same names and behaviour as ``temporalio.testing.ActivityEnvironment``: :py:meth:`run` calls the
function with :py:mod:`tempyral.activity`'s context set (``def`` functions at once, ``async def``
ones as an awaitable), :py:attr:`on_heartbeat` receives every heartbeat's details,
:py:meth:`cancel` and :py:meth:`worker_shutdown` reach every run in progress and every later one.
The context itself is set by ``tempyral.worker.activity_context``, next to the worker's own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar, cast

from typing_extensions import ParamSpec

from tempyral.activity import ActivityCancellationDetails, Info
from tempyral.client import Client
from tempyral.common import MetricMeter, Priority
from tempyral.converter import DataConverter, PayloadConverter
from tempyral.worker.activity_context import StandaloneActivity

__all__ = ["ActivityEnvironment"]

_Params = ParamSpec("_Params")
_Return = TypeVar("_Return")

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class ActivityEnvironment:
    """Runs activity functions in a test with the activity context available.

    Attributes:
        info: What :py:func:`tempyral.activity.info` returns; start from :py:meth:`default_info`
            and change fields with :py:func:`dataclasses.replace`.
        on_heartbeat: Called with the details of every heartbeat.
        payload_converter: What :py:func:`tempyral.activity.payload_converter` returns; set it
            before :py:meth:`run`.
        metric_meter: The meter behind :py:func:`tempyral.activity.metric_meter` (no-op by
            default); set it before :py:meth:`run`.
    """

    def __init__(self, client: Client | None = None) -> None:
        """Create an environment; ``client`` is what ``activity.client()`` returns in async code."""
        self.info = ActivityEnvironment.default_info()
        self.on_heartbeat: Callable[..., None] = lambda *args: None
        self.payload_converter: PayloadConverter = DataConverter.default.payload_converter
        self.metric_meter: MetricMeter = MetricMeter.noop
        self._client = client
        self._cancellation: ActivityCancellationDetails | None = None
        self._worker_shutdown = False
        self._running: set[StandaloneActivity] = set()

    @staticmethod
    def default_info() -> Info:
        """A fresh copy of the info activities see by default (ids ``test``, times at the epoch)."""
        return Info(
            activity_id="test",
            activity_type="unknown",
            attempt=1,
            current_attempt_scheduled_time=_EPOCH,
            heartbeat_details=[],
            heartbeat_timeout=None,
            is_local=False,
            namespace="default",
            schedule_to_close_timeout=timedelta(seconds=1),
            scheduled_time=_EPOCH,
            start_to_close_timeout=timedelta(seconds=1),
            started_time=_EPOCH,
            task_queue="test",
            task_token=b"test",
            workflow_id="test",
            workflow_namespace="default",
            workflow_run_id="test-run",
            workflow_type="test",
            priority=Priority.default,
            retry_policy=None,
            activity_run_id=None,
        )

    def cancel(
        self,
        cancellation_details: ActivityCancellationDetails = ActivityCancellationDetails(  # noqa: B008 - frozen
            cancel_requested=True
        ),
    ) -> None:
        """Cancel the activity; ``activity.cancellation_details()`` then returns the details.

        Only the first call has an effect.
        """
        if self._cancellation is not None:
            return
        self._cancellation = cancellation_details
        for activity in list(self._running):
            activity.cancel(cancellation_details)

    def worker_shutdown(self) -> None:
        """Tell the activity the worker is shutting down. Only the first call has an effect."""
        if self._worker_shutdown:
            return
        self._worker_shutdown = True
        for activity in list(self._running):
            activity.worker_shutdown()

    def run(
        self,
        fn: Callable[_Params, _Return],
        *args: _Params.args,
        **kwargs: _Params.kwargs,
    ) -> _Return:
        """Run ``fn`` in an activity context and return what it returns.

        For an ``async def`` function that is a coroutine: ``await env.run(fn, ...)``.
        """
        activity = StandaloneActivity(
            fn,
            info=lambda: self.info,
            heartbeat=lambda *details: self.on_heartbeat(*details),
            payload_converter=self.payload_converter,
            metric_meter=self.metric_meter,
            client=self._client,
        )
        if self._cancellation is not None:
            activity.cancel(self._cancellation)
        if self._worker_shutdown:
            activity.worker_shutdown()
        if activity.is_async:
            # For an async activity _Return is the coroutine the caller awaits.
            return cast(_Return, self._tracked_async(activity, args, kwargs))
        self._running.add(activity)
        try:
            result: _Return = activity.run(*args, **kwargs)
        finally:
            self._running.discard(activity)
        return result

    async def _tracked_async(
        self, activity: StandaloneActivity, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        self._running.add(activity)
        try:
            return await activity.run(*args, **kwargs)
        finally:
            self._running.discard(activity)
