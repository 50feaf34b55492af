"""Errors a user gets when creating or starting a Worker with a bad setup: each says what is
wrong and what to do."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest

from tempyral import activity, workflow
from tempyral.common import RawValue, VersioningBehavior, WorkerDeploymentVersion
from tempyral.worker import (
    PollerBehaviorAutoscaling,
    SandboxedWorkflowRunner,
    SharedHeartbeatSender,
    SharedStateManager,
    UnsandboxedWorkflowRunner,
    Worker,
    WorkerDeploymentConfig,
    WorkerTuner,
)
from tempyral.worker.workflow_sandbox import SandboxRestrictions


@activity.defn
async def one(x: int) -> int:
    return x


@activity.defn(name="one")
async def same_name(x: int) -> int:
    return x


@activity.defn
def blocking(x: int) -> int:
    return x


class _UnusedSharedState(SharedStateManager):
    """Creating a worker only checks that a manager is given; nothing here runs."""

    def new_event(self) -> threading.Event:
        raise AssertionError("not used")

    async def register_heartbeater(
        self, task_token: bytes, heartbeat: Callable[..., None]
    ) -> SharedHeartbeatSender:
        raise AssertionError("not used")

    async def unregister_heartbeater(self, task_token: bytes) -> None:
        raise AssertionError("not used")


@activity.defn(dynamic=True)
async def dynamic_a(args: Sequence[RawValue]) -> None:
    return None


@activity.defn(dynamic=True)
async def dynamic_b(args: Sequence[RawValue]) -> None:
    return None


@activity.defn(name="callable")
class CallableActivity:
    async def __call__(self, x: int) -> int:
        return x


async def not_decorated(x: int) -> int:
    return x


def make(client: Any, **kwargs: Any) -> Worker:
    return Worker(client, task_queue="validation", **kwargs)


def test_needs_something_to_run(client: Any) -> None:
    with pytest.raises(ValueError, match="At least one activity, Nexus service, or workflow must"):
        make(client)


def test_activity_definitions_are_checked(client: Any) -> None:
    with pytest.raises(ValueError, match="More than one activity named one"):
        make(client, activities=[one, same_name])
    with pytest.raises(TypeError, match=r"was it decorated with @activity\.defn"):
        make(client, activities=[not_decorated])
    with pytest.raises(TypeError, match="More than one dynamic activity"):
        make(client, activities=[dynamic_a, dynamic_b])
    with pytest.raises(TypeError, match="is a class instead of an instance"):
        make(client, activities=[CallableActivity])
    assert make(client, activities=[CallableActivity(), one]).task_queue == "validation"


def test_official_decorator_is_named(client: Any) -> None:
    async def official(x: int) -> int:
        return x

    # What temporalio.activity.defn leaves on a function (the official SDK is not imported in
    # this process).
    official.__temporal_activity_definition = object()  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match=r"decorated with temporalio\.activity\.defn"):
        make(client, activities=[official])


def test_sync_activities_need_a_thread_pool(client: Any) -> None:
    with pytest.raises(ValueError, match="blocking is not async so an activity_executor"):
        make(client, activities=[blocking])
    with concurrent.futures.ProcessPoolExecutor(1) as processes:
        with pytest.raises(ValueError, match="so a shared_state_manager must be present"):
            make(client, activities=[blocking], activity_executor=processes)
        pooled = {"activity_executor": processes, "shared_state_manager": _UnusedSharedState()}
        make(client, activities=[blocking], **pooled)

        @activity.defn(name="local")
        def local(x: int) -> int:  # a closure: a process pool cannot pickle it
            return x

        with pytest.raises(TypeError, match="local must be picklable"):
            make(client, activities=[local], **pooled)
    with concurrent.futures.ThreadPoolExecutor(4) as threads:
        with pytest.warns(UserWarning, match="max_workers is only 4"):
            make(
                client,
                activities=[blocking],
                activity_executor=threads,
                max_concurrent_activities=8,
            )
        make(client, activities=[blocking], activity_executor=threads, max_concurrent_activities=4)


def test_decorator_errors() -> None:
    with pytest.raises(TypeError, match="cannot have keyword-only arguments"):

        @activity.defn
        async def keyword_only(*, x: int) -> int:
            return x

    with pytest.raises(ValueError, match="cannot be both named and dynamic"):
        activity.defn(name="x", dynamic=True)
    with pytest.raises(TypeError, match="Dynamic activity must accept a single Sequence"):

        @activity.defn(dynamic=True)
        async def wrong_dynamic(x: int) -> None:
            return None

    with pytest.raises(ValueError, match="already contains activity definition"):
        activity.defn(one)


def test_workflow_classes_must_be_workflow_definitions(client: Any) -> None:
    class NotAWorkflow:
        pass

    with pytest.raises(ValueError, match="NotAWorkflow"):
        make(client, workflows=[NotAWorkflow])


def test_two_workflows_of_one_name_are_refused(client: Any) -> None:
    @workflow.defn(name="Same")
    class First:
        @workflow.run
        async def run(self) -> None: ...

    @workflow.defn(name="Same")
    class Second:
        @workflow.run
        async def run(self) -> None: ...

    with pytest.raises(ValueError, match="Same"):
        make(client, workflows=[First, Second])


def test_workflow_options_tempyral_cannot_honour_are_refused(client: Any) -> None:
    @workflow.defn
    class Plain:
        @workflow.run
        async def run(self) -> None: ...

    with pytest.raises(ValueError, match="initial must be between minimum and maximum"):
        make(
            client,
            workflows=[Plain],
            workflow_task_poller_behavior=PollerBehaviorAutoscaling(minimum=3, initial=2),
        )
    with pytest.raises(ValueError, match="workflow_deadlock_timeout must be positive"):
        make(client, workflows=[Plain], workflow_deadlock_timeout=timedelta())


def test_unsupported_options_are_refused(client: Any) -> None:
    # As in the official SDK, nexusrpc names the decorator a Nexus service class lacks.
    with pytest.raises(RuntimeError, match="service_handler"):
        make(client, activities=[one], nexus_service_handlers=[object()])
    with pytest.raises(TypeError, match=r"tempyral\.worker\.Plugin instances, got object"):
        make(client, activities=[one], plugins=[object()])


def test_tuner_and_autoscaling_are_checked(client: Any) -> None:
    with pytest.raises(TypeError, match="tuner must be a WorkerTuner"):
        make(client, activities=[one], tuner=object())
    with pytest.raises(ValueError, match="when also specifying tuner"):
        make(
            client,
            activities=[one],
            tuner=WorkerTuner.create_fixed(activity_slots=2),
            max_concurrent_activities=3,
        )
    with pytest.raises(ValueError, match="initial must be between minimum and maximum"):
        make(
            client,
            activities=[one],
            activity_task_poller_behavior=PollerBehaviorAutoscaling(maximum=2, initial=5),
        )
    with pytest.raises(ValueError, match="minimum poller behavior must be at least 1"):
        make(client, activities=[one], activity_task_poller_behavior=PollerBehaviorAutoscaling(0))
    with pytest.raises(ValueError, match="maximum must be greater than or equal to minimum"):
        make(
            client,
            activities=[one],
            activity_task_poller_behavior=PollerBehaviorAutoscaling(minimum=3, maximum=2),
        )
    # Valid ones are accepted.
    make(client, activities=[one], tuner=WorkerTuner.create_fixed(activity_slots=2))
    make(client, activities=[one], activity_task_poller_behavior=PollerBehaviorAutoscaling())


def test_option_combinations(client: Any) -> None:
    version = WorkerDeploymentVersion("deploy", "build-1")
    with pytest.raises(ValueError, match="build_id must be specified"):
        make(client, activities=[one], use_worker_versioning=True)
    with pytest.raises(ValueError, match="deployment_config cannot be used with build_id"):
        make(
            client,
            activities=[one],
            build_id="b",
            deployment_config=WorkerDeploymentConfig(version, use_worker_versioning=True),
        )
    with pytest.raises(ValueError, match="default_versioning_behavior must be UNSPECIFIED"):
        make(
            client,
            activities=[one],
            deployment_config=WorkerDeploymentConfig(
                version, False, default_versioning_behavior=VersioningBehavior.PINNED
            ),
        )
    with pytest.raises(ValueError, match="max_concurrent_activities must be at least 1"):
        make(client, activities=[one], max_concurrent_activities=0)
    with pytest.raises(ValueError, match="max_activities_per_second must be a positive"):
        make(client, activities=[one], max_activities_per_second=0)
    with pytest.raises(ValueError, match="no_remote_activities=True leaves this worker nothing"):
        make(client, activities=[one], no_remote_activities=True)
    with pytest.raises(ValueError, match="max_eager_activity_reservations_per_workflow_task"):
        make(client, activities=[one], max_eager_activity_reservations_per_workflow_task=0)


def test_runner_names_are_accepted(client: Any) -> None:
    restrictions = SandboxRestrictions.default.with_passthrough_modules("pydantic", "numpy")
    assert restrictions.passthrough_modules == {"pydantic", "numpy"}
    assert SandboxRestrictions.default.passthrough_modules == frozenset()
    worker = make(
        client,
        activities=[one],
        workflow_runner=SandboxedWorkflowRunner(restrictions=restrictions),
        unsandboxed_workflow_runner=UnsandboxedWorkflowRunner(),
        graceful_shutdown_timeout=timedelta(seconds=1),
    )
    runner = worker.config()["workflow_runner"]
    assert isinstance(runner, SandboxedWorkflowRunner)
    assert runner.restrictions is restrictions
    assert runner.runner_class is UnsandboxedWorkflowRunner


async def test_missing_namespace_fails_run_clearly(
    tempyral_target: str, connect_client: Any
) -> None:
    client = await connect_client(tempyral_target, namespace="no-such-namespace")
    worker = Worker(client, task_queue="validation", activities=[one])
    with pytest.raises(RuntimeError, match="namespace 'no-such-namespace' does not exist"):
        await worker.run()
    assert not worker.is_running
    # shutdown() after a failed start returns instead of waiting forever.
    await worker.shutdown()
