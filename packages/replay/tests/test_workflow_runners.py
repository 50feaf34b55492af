"""Custom workflow runners (``workflow_runner=`` / ``unsandboxed_workflow_runner=``): the
Replayer tells a runner of each workflow definition, asks it for each run's instance with the
official ``WorkflowInstanceDetails``, and sends every activation of the code through that
instance, so a runner wrapping the default instance observes (and may adjust) them. An instance
that does not come from the default one is refused with an error saying what to do."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tempyral.replay import (
    Replayer,
    RunnerWorkflowInstance,
    WorkflowActivation,
    WorkflowActivationCompletion,
    WorkflowHistory,
    WorkflowInstanceDetails,
    create_default_instance,
)

from .conftest import golden_histories, workflow_classes

BY_NAME = dict(golden_histories())


class CountingInstance(RunnerWorkflowInstance):
    """Wraps the default instance and counts what goes through it."""

    def __init__(self, inner: RunnerWorkflowInstance, log: list[str]) -> None:
        self._inner = inner
        self._log = log

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        completion = self._inner.activate(act)
        jobs = ",".join(type(job).__name__ for job in act.jobs)
        self._log.append(f"{jobs} -> {len(completion.intents)} (replaying={act.is_replaying})")
        return completion

    def get_serialization_context(self, command_info: Any | None) -> Any:
        return self._inner.get_serialization_context(command_info)

    def get_external_store_context(self, command_info: Any | None) -> Any:
        return self._inner.get_external_store_context(command_info)

    def get_info(self) -> Any:
        return self._inner.get_info()


class WrappingRunner:
    def __init__(self) -> None:
        self.prepared: list[str | None] = []
        self.details: list[WorkflowInstanceDetails] = []
        self.activations: list[str] = []
        self.instances: list[RunnerWorkflowInstance] = []

    def prepare_workflow(self, defn: Any) -> None:
        self.prepared.append(defn.name)

    def create_instance(self, det: WorkflowInstanceDetails) -> RunnerWorkflowInstance:
        self.details.append(det)
        instance = CountingInstance(create_default_instance(det), self.activations)
        self.instances.append(instance)
        return instance


def test_a_wrapping_runner_sees_definitions_details_and_activations(
    golden_workflows: Any,
) -> None:
    runner = WrappingRunner()
    classes = workflow_classes(golden_workflows)
    replayer = Replayer(workflows=classes, workflow_runner=runner)
    # Told of every workflow when the replayer is created (sandboxed by default).
    assert len(runner.prepared) == len(classes)
    assert {"Timers", "Parent", "Child"} <= set(runner.prepared)
    history: WorkflowHistory = BY_NAME["timers"]
    replayer.replay_workflow_sync(history)
    (det,) = runner.details
    started = history.events[0].workflow_execution_started_event_attributes
    assert det.info.workflow_id == history.workflow_id
    assert det.info.workflow_type == started.workflow_type.name == det.defn.name
    assert det.last_failure is None
    assert runner.activations[0].startswith("InitializeWorkflow -> 1")
    assert all("replaying=True" in line for line in runner.activations)
    (instance,) = runner.instances
    assert instance.get_info().workflow_id == history.workflow_id
    context = instance.get_serialization_context(None)
    assert (context.namespace, context.workflow_id) == ("ReplayNamespace", history.workflow_id)
    assert instance.get_external_store_context(None).target.id == history.workflow_id


def test_an_unsandboxed_workflow_uses_the_unsandboxed_runner(golden_workflows: Any) -> None:
    sandboxed, unsandboxed = WrappingRunner(), WrappingRunner()
    replayer = Replayer(
        workflows=workflow_classes(golden_workflows),
        workflow_runner=sandboxed,
        unsandboxed_workflow_runner=unsandboxed,
    )
    replayer.replay_workflow_sync(BY_NAME["timers"])
    assert len(sandboxed.details) == 1
    assert unsandboxed.details == []  # the golden workflows are sandboxed (the default)


class OwnInstanceRunner:
    def create_instance(self, det: WorkflowInstanceDetails) -> Any:
        return object()


def test_an_instance_not_made_by_the_default_one_is_refused(golden_workflows: Any) -> None:
    replayer = Replayer(
        workflows=workflow_classes(golden_workflows), workflow_runner=OwnInstanceRunner()
    )
    with pytest.raises(TypeError, match=r"UnsandboxedWorkflowRunner\(\)\.create_instance\(det\)"):
        replayer.replay_workflow_sync(BY_NAME["timers"])


class FailingInstance(CountingInstance):
    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        raise RuntimeError("instance broke")


def test_an_instance_that_raises_fails_the_task(golden_workflows: Any) -> None:
    class Runner(WrappingRunner):
        def create_instance(self, det: WorkflowInstanceDetails) -> RunnerWorkflowInstance:
            return FailingInstance(create_default_instance(det), [])

    replayer = Replayer(workflows=workflow_classes(golden_workflows), workflow_runner=Runner())
    result = replayer.replay_workflow_sync(BY_NAME["timers"], raise_on_replay_failure=False)
    assert "instance broke" in str(result.replay_failure)


def test_a_runner_may_pass_on_a_copy_of_the_details(golden_workflows: Any) -> None:
    class Copying(WrappingRunner):
        def create_instance(self, det: WorkflowInstanceDetails) -> RunnerWorkflowInstance:
            return super().create_instance(dataclasses.replace(det, randomness_seed=7))

    runner = Copying()
    replayer = Replayer(workflows=workflow_classes(golden_workflows), workflow_runner=runner)
    replayer.replay_workflow_sync(BY_NAME["timers"])
    assert runner.details[0].randomness_seed == 7
    assert runner.activations  # the run went through the copied details' instance


def test_the_default_instance_is_made_only_through_a_runner(golden_workflows: Any) -> None:
    runner = WrappingRunner()
    Replayer(workflows=workflow_classes(golden_workflows), workflow_runner=runner)
    replayer = Replayer(workflows=workflow_classes(golden_workflows), workflow_runner=runner)
    replayer.replay_workflow_sync(BY_NAME["timers"])
    with pytest.raises(RuntimeError, match="not on its own"):
        create_default_instance(runner.details[0])
