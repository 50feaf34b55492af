"""A workflow outbound interceptor that records the calls workflow code makes through it and
adds a header to each local activity and signal, runnable under both SDKs.

``test_workflow_interceptors.py`` runs this file on a tempyral worker in-process and, through
``scripts/workflow_worker.py --workflows outbound_workflows.py --sdk official``, on an official
worker in its own process. ``OutboundParent`` reads its ``info()``, runs a local activity, signals
its child and an external workflow; the interceptor notes each call (``info``,
``start_local_activity``, ``signal_child_workflow``, ``signal_external_workflow``) and the
inbound interceptor returns those notes with the workflow's result. Where the header arrived
shows in the results: the activity interceptor appends it to the local activity's result, and the
signalled workflow's inbound interceptor to the signal's argument.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tempyral import activity, workflow
from tempyral.converter import PayloadConverter
from tempyral.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    ExecuteWorkflowInput,
    HandleSignalInput,
    Interceptor,
    SignalChildWorkflowInput,
    SignalExternalWorkflowInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

KEY = "tenant"
SHORT = timedelta(seconds=10)


def tenant(headers: Any) -> str:
    payload = headers.get(KEY)
    if payload is None:
        return "-"
    return str(PayloadConverter.default.from_payloads([payload])[0])


def _acme() -> Any:
    return PayloadConverter.default.to_payloads(["acme"])[0]


class _Outbound(WorkflowOutboundInterceptor):
    def __init__(self, next: WorkflowOutboundInterceptor, calls: list[str]) -> None:
        super().__init__(next)
        self._calls = calls

    def info(self) -> Any:
        self._calls.append("info")
        return super().info()

    def start_local_activity(self, input: StartLocalActivityInput) -> Any:
        self._calls.append(f"start_local_activity {list(input.args)}")
        input.headers = {**input.headers, KEY: _acme()}
        return super().start_local_activity(input)

    async def signal_child_workflow(self, input: SignalChildWorkflowInput) -> None:
        self._calls.append(f"signal_child_workflow {input.signal} {list(input.args)}")
        input.headers = {**input.headers, KEY: _acme()}
        await super().signal_child_workflow(input)

    async def signal_external_workflow(self, input: SignalExternalWorkflowInput) -> None:
        self._calls.append(
            f"signal_external_workflow {input.workflow_id} {input.signal} {list(input.args)}"
        )
        input.headers = {**input.headers, KEY: _acme()}
        await super().signal_external_workflow(input)


class _Inbound(WorkflowInboundInterceptor):
    calls: list[str]

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        self.calls = []
        super().init(_Outbound(outbound, self.calls))

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        result = await super().execute_workflow(input)
        if input.type.__name__ != "OutboundParent":
            return result
        return {"result": result, "calls": self.calls}

    async def handle_signal(self, input: HandleSignalInput) -> None:
        input.args = [f"{arg}@{tenant(input.headers)}" for arg in input.args]
        await super().handle_signal(input)


class _ActivityInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await super().execute_activity(input)
        return f"{result}@{tenant(input.headers)}"


class OutboundInterceptor(Interceptor):
    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _Inbound

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityInbound(next)


@activity.defn
async def local_echo(text: str) -> str:
    return text


@workflow.defn
class Pinged:
    """Waits for one ``ping`` and returns what arrived."""

    def __init__(self) -> None:
        self.received: str | None = None

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.received is not None)
        return str(self.received)

    @workflow.signal
    def ping(self, text: str) -> None:
        self.received = text


@workflow.defn
class OutboundParent:
    @workflow.run
    async def run(self, external_id: str) -> Any:
        """Its result (the interceptor returns it with the calls it recorded)."""
        own_id = workflow.info().workflow_id
        local = await workflow.execute_local_activity(
            local_echo, "local", start_to_close_timeout=SHORT
        )
        child = await workflow.start_child_workflow(Pinged.run, id=f"{own_id}-child")
        await child.signal(Pinged.ping, "child-ping")
        await workflow.get_external_workflow_handle(external_id).signal(
            Pinged.ping, "external-ping"
        )
        return [str(local), str(await child)]


WORKFLOWS = [OutboundParent, Pinged]
ACTIVITIES = [local_echo]
INTERCEPTORS = [OutboundInterceptor()]
