"""Environments for the pytest plugin: which kind a test gets, and the server-backed ones.

* ``in-process`` (the default): a fresh :func:`start_in_process` environment per test, on the
  test's own event loop; it costs milliseconds.
* ``local`` and ``time-skipping``: one server for the whole session, started on first use by
  ``WorkflowEnvironment.start_local()`` / ``start_time_skipping()`` (looked up by name, so the
  plugin works with whatever ``tempyral.testing`` provides). The server's environment lives on a
  private event loop in a thread; each test gets a ``Client`` of its own over the same service
  client (tempyral's transport keeps a channel per event loop), so tests on their own loops can
  share the server.

Every test's client records the workflows started through it (a client interceptor), so the
replay check can fetch their histories afterwards on any kind of environment.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Coroutine
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any, TypeVar

from tempyral.client import Client, Interceptor, OutboundInterceptor, WorkflowHandle

__all__ = ["ENV_KINDS", "ServerEnvironment", "StartRecorder", "TestEnvironment"]

ENV_KINDS = ("in-process", "local", "time-skipping")
_FACTORIES = {"local": "start_local", "time-skipping": "start_time_skipping"}

T = TypeVar("T")


class StartRecorder(Interceptor):
    """Remembers (workflow id, run id) of every workflow started through the client."""

    def __init__(self) -> None:
        self.started: list[tuple[str, str]] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _RecordingOutbound(next, self)


class _RecordingOutbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, recorder: StartRecorder) -> None:
        super().__init__(next)
        self._recorder = recorder

    async def start_workflow(self, input: Any) -> WorkflowHandle[Any, Any]:
        handle = await super().start_workflow(input)
        self._recorder.started.append((handle.id, handle.result_run_id or handle.run_id or ""))
        return handle


class _LoopThread:
    """An event loop running in a daemon thread; coroutines are submitted to it."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=30)
        if not self._thread.is_alive():
            self.loop.close()


class ServerEnvironment:
    """A session's ``local`` or ``time-skipping`` environment, started on first use."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._thread: _LoopThread | None = None
        self._env: Any = None

    def get(self) -> Any:
        if self._env is None:
            from tempyral import testing

            factory_name = _FACTORIES[self.kind]
            environment_class = getattr(testing, "WorkflowEnvironment", None)
            factory = getattr(environment_class, factory_name, None)
            if factory is None:
                raise RuntimeError(
                    f"--tempyral-env={self.kind} needs tempyral.testing.WorkflowEnvironment."
                    f"{factory_name}(), which this version of tempyral-testing does not have; "
                    "use --tempyral-env=in-process"
                )
            self._thread = _LoopThread(f"tempyral {self.kind} environment")
            self._env = self._thread.submit(_call(factory)).result(timeout=300)
        return self._env

    def run(self, coroutine: Coroutine[Any, Any, T]) -> Awaitable[T]:
        """Run a coroutine of the environment on its own loop; await the result from any loop."""
        assert self._thread is not None
        return asyncio.wrap_future(self._thread.submit(coroutine))

    def close(self) -> None:
        if self._env is not None and self._thread is not None:
            try:
                self._thread.submit(self._env.shutdown()).result(timeout=60)
            finally:
                self._thread.stop()
                self._env = None


async def _call(factory: Any) -> Any:
    return await factory()


class TestEnvironment:
    """What a test's ``workflow_environment`` fixture gives: the same surface on every kind."""

    __test__ = False  # not a test class, despite the name

    def __init__(
        self,
        kind: str,
        env: Any,
        client: Client,
        recorder: StartRecorder,
        server: ServerEnvironment | None = None,
    ) -> None:
        self.kind = kind
        self.env = env
        self.client = client
        self.recorder = recorder
        self.workflows: list[type] = []  # registered through the worker factory
        self._server = server

    @property
    def supports_time_skipping(self) -> bool:
        return bool(self.env.supports_time_skipping)

    async def sleep(self, duration: timedelta | float) -> None:
        await self._on_env_loop(self.env.sleep(duration))

    async def get_current_time(self) -> datetime:
        result: datetime = await self._on_env_loop(self.env.get_current_time())
        return result

    def on_activity(self, activity_type: Any, fake: Any) -> None:
        """Replace an activity by a fake (in-process environment only)."""
        on_activity = getattr(self.env, "on_activity", None)
        if on_activity is None:
            raise RuntimeError(
                f"on_activity is only available in the in-process environment, not {self.kind}; "
                "register a fake activity with the worker instead"
            )
        on_activity(activity_type, fake)

    def _on_env_loop(self, coroutine: Coroutine[Any, Any, T]) -> Awaitable[T]:
        if self._server is None:
            return coroutine
        return self._server.run(coroutine)
