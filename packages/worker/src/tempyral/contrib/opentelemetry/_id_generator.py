"""Span and trace ids that a workflow draws the same way on every replay.

Inside workflow code the ids come from a generator seeded by the workflow (``workflow.new_random``),
one per run, kept on the workflow instance: a span started on replay gets the id it had the first
time, so its children (started from new code after the replay) still point at the right parent.
Outside a workflow, and in read-only workflow code (queries, update validators, which are never
replayed and so must not advance the run's generator), the wrapped generator is used.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from random import Random

from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import INVALID_SPAN_ID, INVALID_TRACE_ID
from tempyral import workflow

__all__ = [
    "TemporalIdGenerator",
    "replaying_workflow_history",
    "unguarded",
]

_RANDOM_ATTRIBUTE = "__tempyral_otel_id_random"


def replaying_workflow_history() -> bool:
    """Whether workflow code is running again to rebuild its state from history: what
    replay-safe telemetry must not record twice. A query or an update validator is live even
    while the run behind it is being replayed (the official SDK's meaning); code outside a
    workflow never replays."""
    return workflow.in_workflow() and workflow.unsafe.is_replaying_history_events()


def unguarded() -> AbstractContextManager[None]:
    """Suspend the determinism guard in workflow code: the OpenTelemetry SDK reads the clock
    and takes locks to record, which is safe since it never feeds back into the workflow."""
    return workflow.unsafe.sandbox_unrestricted() if workflow.in_workflow() else nullcontext()


def _workflow_random() -> Random | None:
    if not workflow.in_workflow() or workflow.unsafe.is_read_only():
        return None
    instance = workflow.instance()
    generator: Random | None = getattr(instance, _RANDOM_ATTRIBUTE, None)
    if generator is None:
        generator = workflow.new_random()
        setattr(instance, _RANDOM_ATTRIBUTE, generator)
    return generator


class TemporalIdGenerator(IdGenerator):
    """An id generator drawing from the workflow's deterministic randomness inside workflows.

    Wraps ``id_generator``, which serves everywhere else.
    """

    def __init__(self, id_generator: IdGenerator) -> None:
        """Wrap ``id_generator`` (used outside workflow code)."""
        self._id_generator = id_generator

    def generate_span_id(self) -> int:
        """A 64-bit span id, deterministic inside a workflow."""
        generator = _workflow_random()
        if generator is None:
            return self._id_generator.generate_span_id()
        span_id = INVALID_SPAN_ID
        while span_id == INVALID_SPAN_ID:
            span_id = generator.getrandbits(64)
        return span_id

    def generate_trace_id(self) -> int:
        """A 128-bit trace id, deterministic inside a workflow."""
        generator = _workflow_random()
        if generator is None:
            return self._id_generator.generate_trace_id()
        trace_id = INVALID_TRACE_ID
        while trace_id == INVALID_TRACE_ID:
            trace_id = generator.getrandbits(128)
        return trace_id
