"""The deadlock detector, debug mode, and tracing tools (coverage, debuggers) on workflow code.

* Workflow code that holds its thread longer than ``workflow_deadlock_timeout`` fails its task
  with the official deadlock error and the stuck code's own stack; its thread is interrupted and
  the worker goes on.
* ``debug_mode=True`` (or ``TEMPYRAL_DEBUG`` / ``TEMPORAL_DEBUG``) turns the detector off, so a
  breakpoint can hold workflow code as long as it likes.
* Trace hooks (what coverage.py and debuggers use) see the lines of workflow code, in debug mode
  and without it.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from tempyral import workflow
from tempyral.api.enums.v1.event_type_pb2 import EventType
from tempyral.client import Client, WorkflowHandle
from tempyral.worker import Worker

from .shared_workflows import ACTIVITIES, SHORT, greet

pytestmark = pytest.mark.integration

SPIN = {"seconds": 0.0}


def spin(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:  # STUCK HERE
        pass


@workflow.defn(sandboxed=False)  # it reads the clock on purpose
class Spins:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(0.01)
        spin(SPIN["seconds"])
        return "not stuck any more"


@workflow.defn
class Traced:
    @workflow.run
    async def run(self, name: str) -> str:
        greeting = await workflow.execute_activity(greet, name, start_to_close_timeout=SHORT)
        shout = greeting.upper()  # TRACED LINE
        return shout


def line_of(marker: str) -> int:
    lines = Path(__file__).read_text().splitlines()
    return next(number for number, text in enumerate(lines, start=1) if marker in text)


def threads_in_spin() -> int:
    count = 0
    for frame in sys._current_frames().values():
        current: FrameType | None = frame
        while current is not None:
            if current.f_code is spin.__code__:
                count += 1
                break
            current = current.f_back
    return count


async def task_failure(handle: WorkflowHandle[Any, Any], timeout: float = 15) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for event in (await handle.fetch_history()).events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                return event.workflow_task_failed_event_attributes
        await asyncio.sleep(0.05)
    raise AssertionError(f"no workflow task failure in {handle.id}")


async def test_deadlock_fails_the_task_with_the_stuck_stack(client: Client) -> None:
    task_queue = f"deadlock-{uuid.uuid4()}"
    SPIN["seconds"] = 60.0
    try:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[Spins],
            max_cached_workflows=0,
            workflow_deadlock_timeout=timedelta(milliseconds=300),
        ):
            handle = await client.start_workflow(
                Spins.run,
                id=f"wf-{uuid.uuid4()}",
                task_queue=task_queue,
                task_timeout=timedelta(seconds=1),
            )
            failed = await task_failure(handle)
            # The stuck thread was interrupted: nothing spins any more.
            for _ in range(50):
                if threads_in_spin() == 0:
                    break
                await asyncio.sleep(0.02)
            assert threads_in_spin() == 0
            SPIN["seconds"] = 0.0
            assert await asyncio.wait_for(handle.result(), 20) == "not stuck any more"
    finally:
        SPIN["seconds"] = 0.0

    assert failed.failure.message.startswith(
        "[TMPRL1101] Potential deadlock detected: workflow didn't yield within 0.3 second(s)."
    )
    stack = failed.failure.stack_trace
    assert f'test_workflow_debugging.py", line {line_of("# STUCK HERE")}, in spin' in stack
    # The stack starts at the workflow's own code: the executor and engine frames are left out.
    assert stack.splitlines()[0].endswith(", in run")
    assert "_runtime.py" not in stack


async def test_debug_mode_turns_the_detector_off(client: Client) -> None:
    task_queue = f"debug-{uuid.uuid4()}"
    SPIN["seconds"] = 1.0
    try:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[Spins],
            workflow_deadlock_timeout=timedelta(milliseconds=200),
            debug_mode=True,
        ):
            handle = await client.start_workflow(
                Spins.run, id=f"wf-{uuid.uuid4()}", task_queue=task_queue
            )
            assert await asyncio.wait_for(handle.result(), 20) == "not stuck any more"
    finally:
        SPIN["seconds"] = 0.0
    history = await handle.fetch_history()
    assert not [
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]


@pytest.mark.parametrize("variable", ["TEMPYRAL_DEBUG", "TEMPORAL_DEBUG"])
def test_environment_turns_debug_mode_on(
    client: Client, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    options: dict[str, Any] = {"task_queue": "unused", "workflows": [Spins]}
    assert Worker(client, **options).config()["debug_mode"] is False
    monkeypatch.setenv(variable, "1")
    assert Worker(client, **options).config()["debug_mode"] is True


@pytest.fixture
def traced_lines() -> Iterator[set[int]]:
    """Lines of this file executed while the test runs, on any thread (as coverage.py traces)."""
    seen: set[int] = set()
    filename = __file__

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            seen.add(frame.f_lineno)
        return local

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == filename else None

    previous = sys.gettrace()
    threading.settrace(trace)
    sys.settrace(trace)
    try:
        yield seen
    finally:
        sys.settrace(previous)
        threading.settrace(previous)  # type: ignore[arg-type]


@pytest.mark.parametrize("debug_mode", [False, True])
async def test_trace_hooks_see_workflow_code(
    client: Client, traced_lines: set[int], debug_mode: bool
) -> None:
    task_queue = f"traced-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[Traced],
        activities=ACTIVITIES,
        debug_mode=debug_mode,
    ):
        result = await client.execute_workflow(
            Traced.run, "coverage", id=f"wf-{uuid.uuid4()}", task_queue=task_queue
        )

    assert result == "HELLO, COVERAGE!"
    assert line_of("# TRACED LINE") in traced_lines
    assert line_of("# TRACED LINE") + 1 in traced_lines
