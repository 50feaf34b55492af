"""Run activity code outside a worker, with the activity context set: the seam test tools use.

``tempyral.testing.ActivityEnvironment`` runs an activity function in the test's own thread or
event loop with :py:mod:`tempyral.activity`'s functions working (``info()``, ``heartbeat()``,
``is_cancelled()`` ...). The context lives in this package, so the run that sets it does too:
:py:class:`StandaloneActivity` is one such run, cancelled and told of worker shutdown the way
the worker does it (``Task.cancel()`` for ``async def`` code; the cancelled event and, unless
the activity opted out, :py:class:`tempyral.exceptions.CancelledError` raised in the thread of
``def`` code).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tempyral.activity import ActivityCancellationDetails, Info
from tempyral.activity.runtime import (
    ActivityContext,
    ActivityDefinition,
    CancellationDetailsHolder,
    CompositeEvent,
)
from tempyral.common import MetricMeter
from tempyral.converter import PayloadConverter
from tempyral.exceptions import CancelledError
from tempyral.worker._thread_cancel import ThreadExceptionRaiser

if TYPE_CHECKING:
    from tempyral.client import Client

__all__ = ["StandaloneActivity"]


def _is_async(fn: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an object whose __call__ is async
    )


class StandaloneActivity:
    """One run of an activity callable with the activity context set, outside any worker.

    ``run`` calls a ``def`` callable at once in the calling thread and returns its result; for an
    ``async def`` callable it returns a coroutine that runs it as a task. ``cancel`` and
    ``worker_shutdown`` may be called before or during the run, from any code the run calls
    (a heartbeat callback) or from another thread.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        info: Callable[[], Info],
        heartbeat: Callable[..., None],
        payload_converter: PayloadConverter,
        metric_meter: MetricMeter,
        client: Client | None,
    ) -> None:
        self.fn = fn
        self.is_async = _is_async(fn)
        self._thread_raiser: ThreadExceptionRaiser | None = None
        if not self.is_async:
            definition = ActivityDefinition.from_callable(fn)
            if definition is None or not definition.no_thread_cancel_exception:
                self._thread_raiser = ThreadExceptionRaiser()
        self._cancellation = CancellationDetailsHolder()
        self._running = False
        self._task: asyncio.Task[Any] | None = None
        self._context = ActivityContext(
            info=info,
            heartbeat=heartbeat,
            cancelled_event=self._event(),
            worker_shutdown_event=self._event(),
            shield_thread_cancel_exception=(
                self._thread_raiser.shielded if self._thread_raiser is not None else None
            ),
            payload_converter_instance=payload_converter,
            runtime_metric_meter=metric_meter,
            # As in a worker: only async activities get the client.
            client=client if self.is_async else None,
            cancellation_details=self._cancellation,
        )

    def _event(self) -> CompositeEvent:
        return CompositeEvent(
            thread_event=threading.Event(),
            async_event=asyncio.Event() if self.is_async else None,
        )

    @contextmanager
    def _context_set(self) -> Iterator[None]:
        token = ActivityContext.set(self._context)
        self._running = True
        try:
            yield None
        finally:
            self._running = False
            ActivityContext.reset(token)

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Run the callable: its result for ``def`` code, a coroutine for ``async def`` code."""
        if self.is_async:
            return self._run_async(*args, **kwargs)
        with self._context_set():
            if self._thread_raiser is None:
                return self.fn(*args, **kwargs)
            with self._thread_raiser.active_thread():
                return self.fn(*args, **kwargs)

    async def _run_async(self, *args: Any, **kwargs: Any) -> Any:
        with self._context_set():
            coroutine: Coroutine[Any, Any, Any] = self.fn(*args, **kwargs)
            self._task = asyncio.ensure_future(coroutine)
            if self._context.cancelled_event.is_set():
                self._task.cancel()
            return await self._task

    def cancel(self, details: ActivityCancellationDetails) -> None:
        """Deliver a cancellation with ``details``; only the first one counts."""
        if self._cancellation.details is not None:
            return
        self._cancellation.details = details
        self._context.cancelled_event.set()
        if not self._running:
            return  # the run sees the event when it starts; nothing to interrupt yet
        if self._thread_raiser is not None:
            self._thread_raiser.raise_in_thread(CancelledError)
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def worker_shutdown(self) -> None:
        """Tell the activity the worker is shutting down (sets its worker-shutdown event)."""
        self._context.worker_shutdown_event.set()
