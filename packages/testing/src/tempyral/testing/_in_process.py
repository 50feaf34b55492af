"""The in-process workflow environment: our engine against an in-memory server, in the test's
own process (Go's ``testsuite`` is the model; none of the Python or TypeScript SDKs has one).

::

    async with await start_in_process() as env:
        env.on_activity("charge", lambda order: "receipt-1")   # replaces the real activity
        async with Worker(env.client, task_queue="q", workflows=[Checkout]):
            assert await env.client.execute_workflow(Checkout.run, id="c-1", task_queue="q") == ...

No binary, no ports: the ``Client`` talks to an in-memory server model (``MemoryServer``)
through ``MockTransport``, and a real tempyral ``Worker`` polls it like any server. Time skips by
itself while the test waits on a workflow result (or ``env.sleep``) and nothing is in progress,
so a workflow that sleeps 30 days finishes at once.

What it models: starts (id reuse and conflict policies, start delay), signals, signal-with-start,
queries, updates (validators, waiting for acceptance or completion, polling the outcome,
update-with-start), cancellation, termination, describe, history (with long poll), activities
(retries, timeouts, heartbeats, cancellation, fakes), timers, child workflows (parent close
policy), external signals and cancels, continue-as-new, markers, search attribute and memo
upserts. What it does not (an UNIMPLEMENTED error names the call or option): schedules,
visibility (list/count), cron, workflow retry policies, Nexus, task queue and deployment APIs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any

from tempyral.api.history.v1.message_pb2 import HistoryEvent
from tempyral.client import Client, Interceptor, WorkflowHandle, WorkflowHistory
from tempyral.converter import DataConverter
from tempyral.service import ConnectConfig, MockTransport, ServiceClient
from tempyral.testing._memory_server import MemoryServer
from tempyral.testing._workflow_env import WorkflowEnvironment

__all__ = ["InProcessWorkflowEnvironment", "start_in_process"]


async def start_in_process(
    *,
    namespace: str = "default",
    data_converter: DataConverter = DataConverter.default,
    interceptors: Sequence[Interceptor] = (),
    start_time: datetime | None = None,
) -> InProcessWorkflowEnvironment:
    """Start an in-process environment (no server process; must be called on the test's loop).

    Args:
        namespace: The only namespace the in-memory server has.
        data_converter: The client's converter (also used to call activity fakes).
        interceptors: Client interceptors.
        start_time: Virtual time at start (default: now).
    """
    server = MemoryServer(
        namespace=namespace, start_time=start_time, data_converter=lambda: data_converter
    )
    service = await ServiceClient.connect(
        ConnectConfig(target_host="in-process"), transport=MockTransport(server)
    )
    client = Client(
        service, namespace=namespace, data_converter=data_converter, interceptors=interceptors
    )
    return InProcessWorkflowEnvironment(client, server)


class InProcessWorkflowEnvironment(WorkflowEnvironment):
    """A workflow environment whose server lives in this process (see the module docstring).

    Made by ``WorkflowEnvironment.start_in_process()`` (or :py:func:`start_in_process`).
    """

    def __init__(self, client: Client, server: MemoryServer) -> None:
        super().__init__(client)
        self.server = server

    @property
    def supports_time_skipping(self) -> bool:
        return True

    async def sleep(self, duration: timedelta | float) -> None:
        """Let ``duration`` of virtual time pass (skipped whenever nothing is in progress)."""
        span = duration if isinstance(duration, timedelta) else timedelta(seconds=duration)
        await self.server.state.clock.sleep(span)

    async def get_current_time(self, handle: WorkflowHandle[Any, Any] | None = None) -> datetime:
        """The virtual time (one clock for every workflow, so ``handle`` changes nothing)."""
        return self.server.state.clock.now().astimezone(timezone.utc)

    @contextlib.contextmanager
    def auto_time_skipping_disabled(self) -> Iterator[None]:
        """Inside, waiting on a workflow result does not skip time (``env.sleep`` still does)."""
        clock = self.server.state.clock
        previous, clock.auto_skip = clock.auto_skip, False
        try:
            yield
        finally:
            clock.auto_skip = previous

    def on_activity(
        self, activity_type: str | Callable[..., Any], fake: Callable[..., Any]
    ) -> None:
        """Run ``fake`` (sync or async, same arguments) for every activity of that type.

        ``activity_type`` is the activity's name, or the activity function itself. Whatever it
        returns is the activity's result; an exception it raises fails the attempt (retried as
        the activity's retry policy says).
        """
        if not callable(fake):
            raise TypeError(
                f"on_activity needs a function to call instead of the activity, got {fake!r}"
            )
        self.server.activities.fakes[_activity_name(activity_type)] = fake

    def workflow_histories(self) -> list[WorkflowHistory]:
        """Every run this environment's server ran so far (closed or not), oldest first."""
        return [
            WorkflowHistory(run.workflow_id, list(run.events))
            for run in self.server.state.runs.values()
        ]

    def history_of(self, workflow_id: str, run_id: str = "") -> list[HistoryEvent]:
        """The events of one run (the latest run of ``workflow_id`` when ``run_id`` is empty)."""
        state = self.server.state
        run = state.runs.get(run_id) if run_id else state.latest.get((state.namespace, workflow_id))
        if run is None:
            raise KeyError(
                f"the in-process server never ran workflow {workflow_id!r}"
                + (f" run {run_id!r}" if run_id else "")
            )
        return list(run.events)

    async def shutdown(self) -> None:
        self.server.close()

    async def __aenter__(self) -> InProcessWorkflowEnvironment:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()


def _activity_name(activity_type: str | Callable[..., Any]) -> str:
    if isinstance(activity_type, str):
        return activity_type
    definition = getattr(activity_type, "__tempyral_activity_definition", None)
    name = getattr(definition, "name", None)
    if isinstance(name, str) and name:
        return name
    raise TypeError(
        f"on_activity needs an activity name or an @activity.defn function, got {activity_type!r}"
    )
