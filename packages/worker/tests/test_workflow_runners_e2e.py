"""A custom ``WorkflowRunner`` on a tempyral worker against a dev server: wrapping the default
runner, it is told of each workflow when the worker is created, creates each run's instance from
the official ``WorkflowInstanceDetails``, and sees every activation the run gets (the start,
the signal, and none replayed while the run stays cached)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tempyral import workflow
from tempyral.client import Client
from tempyral.replay import WorkflowActivation, WorkflowActivationCompletion
from tempyral.worker import (
    UnsandboxedWorkflowRunner,
    Worker,
    WorkflowInstance,
    WorkflowInstanceDetails,
    WorkflowRunner,
)

pytestmark = pytest.mark.integration


@workflow.defn
class Greets:
    def __init__(self) -> None:
        self.names: list[str] = []

    @workflow.signal
    def greet(self, name: str) -> None:
        self.names.append(name)

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: bool(self.names))
        return [f"Hello, {name}!" for name in self.names]


class _Observed(WorkflowInstance):
    def __init__(self, inner: WorkflowInstance, seen: list[str]) -> None:
        self._inner = inner
        self._seen = seen

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        jobs = "+".join(type(job).__name__ for job in act.jobs)
        self._seen.append(f"{jobs}{' (replaying)' if act.is_replaying else ''}")
        return self._inner.activate(act)

    def get_serialization_context(self, command_info: Any | None) -> Any:
        return self._inner.get_serialization_context(command_info)

    def get_external_store_context(self, command_info: Any | None) -> Any:
        return self._inner.get_external_store_context(command_info)

    def get_info(self) -> Any:
        return self._inner.get_info()


class ObservingRunner(WorkflowRunner):
    def __init__(self) -> None:
        self._inner = UnsandboxedWorkflowRunner()
        self.prepared: list[str] = []
        self.started: list[tuple[str, str]] = []
        self.seen: list[str] = []

    def prepare_workflow(self, defn: Any) -> None:
        self.prepared.append(defn.name)
        self._inner.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        self.started.append((det.info.workflow_type, det.info.workflow_id))
        return _Observed(self._inner.create_instance(det), self.seen)


async def test_a_runner_wrapping_the_default_one_sees_each_run_and_activation(
    client: Client,
) -> None:
    runner = ObservingRunner()
    task_queue = f"runner-{uuid.uuid4()}"
    workflow_id = f"runner-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[Greets], workflow_runner=runner):
        assert runner.prepared == ["Greets"]  # when the worker was created
        handle = await client.start_workflow(Greets.run, id=workflow_id, task_queue=task_queue)
        await handle.signal(Greets.greet, "Ada")
        assert await handle.result() == ["Hello, Ada!"]
    assert runner.started == [("Greets", workflow_id)]
    assert runner.seen[0].startswith("InitializeWorkflow")
    assert any("SignalWorkflow" in line for line in runner.seen), runner.seen
    assert not [line for line in runner.seen if "replaying" in line]
