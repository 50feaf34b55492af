"""``def`` activities for the process-pool tests: module level, so a process pool can pickle
them by reference and import them in its processes."""

from __future__ import annotations

import os
from pathlib import Path

from tempyral import activity
from tempyral.exceptions import CancelledError


@activity.defn
def heartbeat_until_cancelled(report: str) -> str:
    """Heartbeats its process id and a count until the cancellation reaches it; writes what it
    saw then to the file ``report``."""
    beats = 0
    while not activity.is_cancelled():
        beats += 1
        activity.heartbeat(os.getpid(), beats)
        activity.wait_for_cancelled_sync(0.1)
    Path(report).write_text(f"cancelled in process {os.getpid()} after {beats} heartbeats")
    raise CancelledError("cancelled")


@activity.defn
def add_in_process(a: int, b: int) -> list[int]:
    """Returns the sum and the process it ran in."""
    return [a + b, os.getpid()]


@activity.defn
def wait_for_worker_shutdown(report: str) -> str:
    """Waits (in its process) until the worker shuts down, then says so."""
    Path(report).write_text("started")
    while not activity.is_worker_shutdown():
        activity.wait_for_worker_shutdown_sync(0.1)
    Path(report).write_text(f"saw the worker shut down in process {os.getpid()}")
    return "finished after shutdown"
