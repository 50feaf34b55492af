"""The worker's own activation threads: reused when idle, a new one when all are busy."""

from __future__ import annotations

import os
import threading
import time
import warnings
from types import FrameType

import pytest

from tempyral.worker._workflow_threads import _MAX_PARKED, WorkflowThreads


def run_and_wait(threads: WorkflowThreads) -> str:
    done = threading.Event()
    names: list[str] = []

    def call() -> None:
        names.append(threading.current_thread().name)
        done.set()

    threads.submit(call)
    assert done.wait(5), "the call never ran"
    return names[0]


def test_an_idle_thread_takes_the_next_call() -> None:
    threads = WorkflowThreads(4, name_prefix="wf_")
    try:
        names = {run_and_wait(threads) for _ in range(20)}
    finally:
        threads.shutdown()
    # One call at a time: the first thread comes back idle and runs every later call too
    # (at most one more may start while the first is between its call and going idle).
    assert len(names) <= 2
    assert names <= {"wf_0", "wf_1"}


def test_a_stuck_thread_does_not_hold_up_other_calls() -> None:
    threads = WorkflowThreads(2, name_prefix="wf_")
    release = threading.Event()
    stuck = threading.Event()

    def blocked() -> None:
        stuck.set()
        release.wait(10)

    try:
        threads.submit(blocked)
        assert stuck.wait(5)
        assert run_and_wait(threads) == "wf_1"
    finally:
        release.set()
        threads.shutdown()


def test_calls_after_shutdown_are_refused_with_a_reason() -> None:
    threads = WorkflowThreads(1, name_prefix="wf_")
    threads.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        threads.submit(lambda: None)


def live_threads(prefix: str) -> set[str]:
    return {thread.name for thread in threading.enumerate() if thread.name.startswith(prefix)}


def test_a_thread_started_ahead_takes_the_first_call_and_no_other_starts() -> None:
    threads = WorkflowThreads(4, name_prefix="ahead_")
    try:
        threads.start_one()
        threads.start_one()  # a thread exists already: nothing more
        assert live_threads("ahead_") == {"ahead_0"}
        assert run_and_wait(threads) == "ahead_0"
        assert live_threads("ahead_") == {"ahead_0"}
    finally:
        threads.shutdown()


def test_no_thread_is_started_ahead_after_shutdown() -> None:
    threads = WorkflowThreads(1, name_prefix="late_")
    threads.shutdown()
    threads.start_one()
    assert live_threads("late_") == set()


def serving_thread(threads: WorkflowThreads) -> threading.Thread:
    seen: list[threading.Thread] = []
    done = threading.Event()

    def call() -> None:
        seen.append(threading.current_thread())
        done.set()

    threads.submit(call)
    assert done.wait(5), "the call never ran"
    return seen[0]


def wait_parked(thread: threading.Thread) -> None:
    deadline = time.monotonic() + 5
    while thread.name != "tempyral_workflow_parked":
        assert time.monotonic() < deadline, f"{thread.name} was never parked"
        time.sleep(0.001)


def test_the_next_pool_takes_a_shut_down_pool_s_thread_under_its_own_name() -> None:
    first = WorkflowThreads(1, name_prefix="first_")
    first.start_one()
    thread = serving_thread(first)
    first.shutdown()
    wait_parked(thread)
    assert live_threads("first_") == set()
    second = WorkflowThreads(1, name_prefix="second_")
    try:
        second.start_one()
        assert serving_thread(second) is thread  # no thread started for the second pool
        assert thread.name == "second_0"
    finally:
        second.shutdown()


def test_a_few_threads_are_parked_and_the_rest_end() -> None:
    pools = [WorkflowThreads(1, name_prefix=f"many{index}_") for index in range(12)]
    threads = [serving_thread(pool) for pool in pools]
    for pool in pools:
        pool.shutdown()
    deadline = time.monotonic() + 5
    while any(t.is_alive() and t.name != "tempyral_workflow_parked" for t in threads):
        assert time.monotonic() < deadline, "a thread neither parked nor ended"
        time.sleep(0.001)
    parked = {t for t in threading.enumerate() if t.name == "tempyral_workflow_parked"}
    assert len(parked) == _MAX_PARKED
    assert sum(thread.is_alive() for thread in threads) <= _MAX_PARKED


def test_a_forked_child_runs_calls_on_a_thread_of_its_own() -> None:
    parent = WorkflowThreads(1, name_prefix="parent_")
    thread = serving_thread(parent)
    parent.shutdown()
    wait_parked(thread)  # the parked thread does not exist in the child
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        code = 1
        try:
            code = 0 if run_and_wait(WorkflowThreads(1, name_prefix="child_")) == "child_0" else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_thread_taken_from_the_parking_is_traced_as_a_new_thread_would_be() -> None:
    first = WorkflowThreads(1, name_prefix="untraced_")
    thread = serving_thread(first)
    first.shutdown()
    wait_parked(thread)
    seen: list[str] = []

    def tracer(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_name == "traced_call":
            seen.append(threading.current_thread().name)

    ran_on: list[threading.Thread] = []

    def traced_call() -> None:
        ran_on.append(threading.current_thread())
        done.set()

    done = threading.Event()
    threading.settrace(tracer)  # after the thread started: a debugger attaching, say
    second = WorkflowThreads(1, name_prefix="traced_")
    try:
        second.submit(traced_call)
        assert done.wait(5)
    finally:
        threading.settrace(None)  # type: ignore[arg-type]
        second.shutdown()
    assert ran_on == [thread]  # the parked thread, started before the hook was set
    assert seen == ["traced_0"]
