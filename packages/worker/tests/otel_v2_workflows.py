"""Workflows for the ``OpenTelemetryPlugin`` tests, runnable under both SDKs.

``test_opentelemetry_v2.py`` runs them on a tempyral worker in-process and on an official worker
in its own process (``scripts/official_otel_v2.py``, ``tempyral`` aliased to ``temporalio``). The
workflow traces with plain OpenTelemetry: a span around an activity and a timer (so it lasts over
several workflow tasks), one in a signal handler, an update and its validator, one around a
child workflow.
"""

from __future__ import annotations

from datetime import timedelta

from opentelemetry import trace

from tempyral import activity, workflow

SHORT = timedelta(seconds=10)


@activity.defn
async def v2_step(text: str) -> str:
    with trace.get_tracer(__name__).start_as_current_span("in-activity"):
        return f"step {text}"


@workflow.defn
class V2Child:
    @workflow.run
    async def run(self) -> str:
        with trace.get_tracer(__name__).start_as_current_span("in-child"):
            return await workflow.execute_activity(v2_step, "child", start_to_close_timeout=SHORT)


@workflow.defn
class V2Parent:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> list[str]:
        tracer = trace.get_tracer(__name__)
        with tracer.start_as_current_span("prepare"):
            first = await workflow.execute_activity(v2_step, "parent", start_to_close_timeout=SHORT)
            await workflow.sleep(0.05)
        await workflow.wait_condition(lambda: self.go)
        with tracer.start_as_current_span("delegate"):
            child = await workflow.execute_child_workflow(
                V2Child.run, id=f"{workflow.info().workflow_id}-child"
            )
        return [first, child]

    @workflow.signal
    def proceed(self) -> None:
        with trace.get_tracer(__name__).start_as_current_span("in-signal"):
            self.go = True

    @workflow.update
    def note(self, text: str) -> str:
        with trace.get_tracer(__name__).start_as_current_span("in-update"):
            return f"noted {text}"

    @note.validator
    def check_note(self, text: str) -> None:
        with trace.get_tracer(__name__).start_as_current_span("in-validator"):
            if not text:
                raise ValueError("empty note")

    @workflow.query
    def state(self) -> str:
        return "going" if self.go else "waiting"


WORKFLOWS = [V2Parent, V2Child]
ACTIVITIES = [v2_step]
