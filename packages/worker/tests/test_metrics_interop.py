"""The official SDK's metrics, from a tempyral worker: same names, same labels, same counts.

One workload (``scripts/metrics_workload.py``: completed, failed and continued-as-new workflows,
activities, a failing activity, a local activity, custom workflow and activity counters) runs on
an official worker and on a tempyral worker, each in its own process with a Prometheus endpoint;
both endpoints are scraped and compared:

- every metric the official worker emitted, tempyral emitted, with the same label keys (except
  the differences listed in ``docs/observability.md``, which are listed here too);
- the counts that follow from the workload alone (not from timing) are equal, label for label.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "scripts" / "metrics_workload.py"
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

# Metrics whose presence depends on timing or on features tempyral does not have.
NOT_COMPARED = {
    # Worker heartbeats (RecordWorkerHeartbeat) are not sent by tempyral; the request family
    # itself is compared, this only concerns its operation label values.
}
# Counts that follow from the workload, whatever the timing.
COUNTED = [
    "temporal_workflow_completed",
    "temporal_workflow_failed",
    "temporal_workflow_continue_as_new",
    "temporal_workflow_endtoend_latency_count",
    "temporal_workflow_task_execution_latency_count",
    "temporal_activity_execution_failed",
    "temporal_activity_execution_latency_count",
    "temporal_activity_succeed_endtoend_latency_count",
    "temporal_local_activity_total",
    "temporal_local_activity_execution_latency_count",
    "temporal_local_activity_succeed_endtoend_latency_count",
    "temporal_worker_start",
    "custom_workflow_counter",
    "custom_activity_counter",
]
COUNTED_REQUESTS = {
    "StartWorkflowExecution",
    "RespondActivityTaskCompleted",
    "RespondActivityTaskFailed",
}

Samples = dict[str, dict[tuple[tuple[str, str], ...], float]]


def parse(text: str) -> Samples:
    samples: Samples = defaultdict(dict)
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a Prometheus sample line: {line!r}"
        name, labels, value = match.groups()
        key = tuple(sorted(_LABEL.findall(labels or "")))
        samples[name][key] = float(value)
    return samples


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class WorkloadProcess:
    def __init__(self, sdk: str, target: str) -> None:
        self.sdk = sdk
        self.port = free_port()
        self.task_queue = f"metrics-{sdk}-{uuid.uuid4().hex[:8]}"
        self.output: list[str] = []
        self.done = threading.Event()
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), sdk, "--target", target, "--task-queue",
             self.task_queue, "--port", str(self.port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if line.strip() == "DONE":
                self.done.set()

    def scrape(self) -> Samples:
        if not self.done.wait(120):
            self.stop()
            pytest.fail(f"the {self.sdk} workload did not finish:\n{''.join(self.output)}")
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as r:
            text = r.read().decode()
        samples = parse(text)
        # The task queue is the only label value that differs by construction.
        return {
            name: {
                tuple((k, "Q" if v == self.task_queue else v) for k, v in key): value
                for key, value in cells.items()
            }
            for name, cells in samples.items()
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            try:
                self.process.stdin.write("\n")
                self.process.stdin.flush()
            except BrokenPipeError:
                pass
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture(scope="module")
def scraped(tempyral_target: str) -> tuple[Samples, Samples]:
    official = WorkloadProcess("official", tempyral_target)
    ours = WorkloadProcess("tempyral", tempyral_target)
    try:
        return official.scrape(), ours.scrape()
    finally:
        official.stop()
        ours.stop()


def label_keys(cells: dict[tuple[tuple[str, str], ...], float]) -> set[frozenset[str]]:
    return {frozenset(k for k, _ in key if k != "le") for key in cells}


def test_every_official_metric_is_emitted_with_the_same_label_keys(
    scraped: tuple[Samples, Samples],
) -> None:
    official, ours = scraped
    assert any(name.startswith("temporal_workflow") for name in official), "official emitted none"
    missing = sorted(set(official) - set(ours))
    assert not missing, f"tempyral does not emit: {missing}"
    differing = {
        name: (label_keys(official[name]), label_keys(ours[name]))
        for name in official
        if name not in NOT_COMPARED and not label_keys(official[name]) <= label_keys(ours[name])
    }
    assert not differing, f"label keys differ (official, tempyral): {differing}"


def test_counts_that_follow_from_the_workload_are_equal(
    scraped: tuple[Samples, Samples],
) -> None:
    official, ours = scraped
    for name in COUNTED:
        assert official.get(name), f"the workload made the official SDK emit no {name}"
        assert ours.get(name) == official[name], name
    for name in ("temporal_request", "temporal_request_latency_count"):
        for key, value in official[name].items():
            if dict(key)["operation"] in COUNTED_REQUESTS:
                assert ours[name].get(key) == value, (name, key)
