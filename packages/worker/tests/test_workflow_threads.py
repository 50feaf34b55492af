"""The worker's own activation threads: reused when idle, a new one when all are busy."""

from __future__ import annotations

import threading

import pytest

from tempyral.worker._workflow_threads import WorkflowThreads


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
