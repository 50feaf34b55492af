"""Histogram bucket boundaries of the SDK's metrics, shared by the Prometheus and OTLP exporters.

The boundaries are the official SDK's, per metric name without the prefix, in milliseconds (or
divided by 1000 when durations are recorded in seconds), so dashboards built on its histograms
see the same buckets from tempyral.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["default_buckets"]

# Milliseconds, the official SDK's choice.
_WORKFLOW_LATENCY_MS = (100, 500, 1000, 1500, 2000, 5000, 10_000, 30_000, 60_000, 120_000,
                        300_000, 600_000, 1_800_000, 3_600_000, 30_600_000, 86_400_000)  # fmt: skip
_TASK_MS = (1, 10, 20, 50, 100, 200, 500, 1000)
_ACTIVITY_MS = (50, 100, 500, 1000, 5000, 10_000, 60_000)
_SCHEDULE_TO_START_MS = (100, 500, 1000, 5000, 10_000, 100_000, 1_000_000)
_DEFAULT_MS = (50, 100, 500, 1000, 2500, 10_000)
_BUCKETS_MS: Mapping[str, Sequence[float]] = {
    "workflow_endtoend_latency": _WORKFLOW_LATENCY_MS,
    "workflow_task_execution_latency": _TASK_MS,
    "workflow_task_replay_latency": _TASK_MS,
    "workflow_task_schedule_to_start_latency": _SCHEDULE_TO_START_MS,
    "activity_schedule_to_start_latency": _SCHEDULE_TO_START_MS,
    "activity_execution_latency": _ACTIVITY_MS,
    "activity_succeed_endtoend_latency": _ACTIVITY_MS,
    "local_activity_execution_latency": _ACTIVITY_MS,
    "local_activity_succeed_endtoend_latency": _ACTIVITY_MS,
}


def default_buckets(short_name: str, *, seconds: bool) -> Sequence[float]:
    """The official boundaries for ``short_name`` (a metric name without its prefix)."""
    millis = _BUCKETS_MS.get(short_name, _DEFAULT_MS)
    return tuple(b / 1000 for b in millis) if seconds else millis
