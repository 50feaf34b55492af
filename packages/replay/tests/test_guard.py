"""The determinism guard: replay-breaking calls in workflow code fail the workflow task, with an
escape hatch; the same calls outside workflow code are untouched."""

from __future__ import annotations

import asyncio
import gc
import os
import random
import socket
import subprocess
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Any

import pytest

from tempyral import workflow
from tempyral.replay import Replayer, RestrictedWorkflowAccessError

from .histories import first_task

CALLS: dict[str, Callable[[], Any]] = {
    "open": lambda: open(__file__).close(),
    "time.time": lambda: time.time(),
    "time.time_ns": lambda: time.time_ns(),
    "time.sleep": lambda: time.sleep(0),
    "random.random": lambda: random.random(),
    "random.randint": lambda: random.randint(1, 6),
    "uuid.uuid4": lambda: uuid.uuid4(),
    "os.urandom": lambda: os.urandom(4),
    "socket": lambda: socket.socket().close(),
    "subprocess": lambda: subprocess.run(["true"], check=False),
    "thread": lambda: threading.Thread(target=lambda: None).start(),
    "os.listdir": lambda: os.listdir("."),
}


@workflow.defn
class CallsSomething:
    @workflow.run
    async def run(self, what: str) -> str:
        CALLS[what]()
        return "done"


@workflow.defn
class SwallowsTheError:
    @workflow.run
    async def run(self) -> str:
        try:
            time.time()
        except Exception:
            return "swallowed"
        return "not reached"


@workflow.defn
class Vouched:
    @workflow.run
    async def run(self) -> float:
        with workflow.unsafe.sandbox_unrestricted():
            assert not workflow.unsafe.is_sandboxed()
            value = time.time()
        assert workflow.unsafe.is_sandboxed()
        with workflow.unsafe.imports_passed_through():
            import colorsys  # noqa: F401  (an import inside workflow code reads files: allowed)
        import json  # noqa: F401

        workflow.logger.info("logging creates records with time.time_ns(): allowed")
        return value


@workflow.defn(sandboxed=False)
class Unguarded:
    @workflow.run
    async def run(self) -> float:
        assert not workflow.unsafe.is_sandboxed()
        return time.time() + random.random()


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _finalizer_io() -> None:
    os.listdir(".")  # what a TemporaryDirectory's cleanup does when it is collected


@workflow.defn
class CollectsGarbage:
    @workflow.run
    async def run(self) -> str:
        with workflow.unsafe.sandbox_unrestricted():
            garbage = _Cycle()
            weakref.finalize(garbage, _finalizer_io)
            del garbage
        gc.collect()  # the finalizer runs here, inside workflow code, but is not workflow code
        return "collected"


REPLAYER = Replayer(
    workflows=[CallsSomething, SwallowsTheError, Vouched, Unguarded, CollectsGarbage]
)


def run_first_task(workflow_type: str, *args: Any, replayer: Replayer = REPLAYER) -> Any:
    instance = replayer.new_instance("wf")
    return instance.activate(first_task(workflow_type, args))


@pytest.mark.parametrize("what", sorted(CALLS))
def test_forbidden_call_fails_the_task(what: str) -> None:
    completion = run_first_task("CallsSomething", what)
    assert isinstance(completion.failure, RestrictedWorkflowAccessError), completion.failure
    assert "workflow.unsafe.sandbox_unrestricted()" in str(completion.failure)
    assert completion.commands == []


def test_finalizers_run_by_garbage_collection_are_not_workflow_code() -> None:
    completion = run_first_task("CollectsGarbage")
    assert completion.failure is None, completion.failure
    assert len(completion.commands) == 1


def test_a_swallowed_violation_still_fails_the_task() -> None:
    completion = run_first_task("SwallowsTheError")
    assert isinstance(completion.failure, RestrictedWorkflowAccessError)
    assert "time.time()" in str(completion.failure)


def test_escape_hatches_and_imports_are_allowed() -> None:
    completion = run_first_task("Vouched")
    assert completion.failure is None
    assert len(completion.commands) == 1


def test_sandboxed_false_turns_the_guard_off() -> None:
    assert run_first_task("Unguarded").failure is None


def test_guard_can_be_turned_off_for_a_replayer() -> None:
    replayer = Replayer(workflows=[CallsSomething], determinism_guard=False)
    assert run_first_task("CallsSomething", "time.time", replayer=replayer).failure is None


def test_names_bound_after_import_are_guarded_too() -> None:
    from time import time as bound_after_tempyral_import

    assert getattr(bound_after_tempyral_import, "__tempyral_original__", None) is not None


def test_outside_workflow_code_nothing_is_guarded() -> None:
    run_first_task("CallsSomething", "time.time")
    assert time.time() > 0
    assert random.random() < 1
    assert uuid.uuid4()
    with open(__file__) as f:
        assert f.readline()


async def test_other_event_loops_are_untouched() -> None:
    run_first_task("CallsSomething", "time.sleep")
    await asyncio.sleep(0)
    assert asyncio.get_running_loop().time() > 0


def test_guards_of_concurrent_threads_do_not_mix() -> None:
    """A worker runs activations on several threads: each thread's guard is its own, so one
    thread finishing its activation does not switch off the guard of another still running."""
    from tempyral.replay import _guard

    _guard.install()
    entered, leave = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def other_activation() -> None:
        with _guard.active([]):
            entered.set()
            leave.wait(5)

    other = threading.Thread(target=other_activation)
    other.start()
    assert entered.wait(5)
    seen["before, unguarded here"] = not _guard.is_active()
    with _guard.active([]):
        leave.set()
        other.join(5)  # the other activation ends while this one runs
        seen["still guarded here"] = _guard.is_active()

    assert seen == {"before, unguarded here": True, "still guarded here": True}
