"""The sans-IO workflow instance: feed it history, get commands back.

:py:class:`WorkflowInstance` is what a worker drives on each workflow task and what the
``Replayer`` drives over a stored history. It never polls, sleeps or reads a clock:
``activate(events, messages=...)`` applies every complete workflow task in the events it has been
given, runs the workflow code for each, and returns the commands of the newest task with its
``sdk_metadata`` and its answers to the task's protocol messages; ``query()`` answers a query
read-only. Events may come all at once or task by task (a sticky worker's view); the results are
the same.

It is the worker's only door into the engine: the worker reads what it needs through its
properties, asks :py:meth:`WorkflowInstance.workflow_failure` whether an error fails the workflow
(and for the completion that does), and ends a run with :py:meth:`~WorkflowInstance.evict` or,
while the run's thread may still be inside workflow code, :py:meth:`~WorkflowInstance.abandon`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1 import command_type_pb2
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.api.protocol.v1.message_pb2 import Message
from tempyral.api.sdk.v1 import task_complete_metadata_pb2
from tempyral.common import MetricMeter, WorkerDeploymentVersion
from tempyral.converter import DataConverter
from tempyral.replay import _guard
from tempyral.replay import _jobs as j
from tempyral.replay._closing import fail_command
from tempyral.replay._driver import WorkflowMachines
from tempyral.replay._errors import CorruptHistoryError, NondeterminismError
from tempyral.replay._info import make_info
from tempyral.replay._interceptor_api import PatchActivationInput, WorkflowInboundInterceptor
from tempyral.replay._local_activities import LocalActivityWork
from tempyral.replay._local_markers import LocalActivityResolution
from tempyral.replay._properties import HistoryHints
from tempyral.replay._runner_api import (
    RunnerWorkflowInstance,
    WorkflowActivation,
    WorkflowActivationCompletion,
    WorkflowInstanceDetails,
    create_default_instance,
    create_through,
)
from tempyral.replay._runtime import WorkflowRuntime
from tempyral.workflow._definition import _Definition

__all__ = ["WorkflowInstance", "WorkflowTaskCompletion"]

_CLOSING_COMMANDS = frozenset(
    {
        command_type_pb2.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
        command_type_pb2.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
        command_type_pb2.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
        command_type_pb2.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
    }
)


@dataclass
class WorkflowTaskCompletion:
    """The outcome of one ``activate``: what to send back for the newest workflow task.

    ``failure`` is set when the task fails (the workflow code raised a non-failure error, or hit
    the determinism guard); nondeterminism and corrupt history raise instead. ``messages`` answer
    the protocol messages the task brought (update acceptances, rejections, responses). ``finished``
    says the run ends with this task (its commands close it, or its history already has).
    """

    commands: list[command_pb2.Command] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    sdk_metadata: task_complete_metadata_pb2.WorkflowTaskCompletedMetadata = field(
        default_factory=task_complete_metadata_pb2.WorkflowTaskCompletedMetadata
    )
    failure: BaseException | None = None
    replaying: bool = True
    finished: bool = False
    local_activities: LocalActivityWork = field(default_factory=LocalActivityWork)
    """Local activities the worker must start or cancel before the task can be completed."""
    versioning_behavior: int = 0
    """The workflow's versioning behavior (``VersioningBehavior`` value; 0: the worker's)."""


class WorkflowInstance:
    """One workflow run, driven by the history events it is fed."""

    __slots__ = (
        "_resolve",
        "_task_messages",
        "_task_metadata",
        "code",
        "create_instance",
        "data_converter",
        "extern_functions",
        "failure_exception_types",
        "guard",
        "interceptor_classes",
        "machines",
        "metric_meter",
        "namespace",
        "patch_activation_callback",
        "run_id",
        "runtime",
        "workflow_id",
    )

    def __init__(
        self,
        resolve_definition: Callable[[str], _Definition],
        *,
        workflow_id: str,
        run_id: str = "",
        namespace: str = "default",
        data_converter: DataConverter | None = None,
        determinism_guard: bool = True,
        failure_exception_types: Sequence[type[BaseException]] = (),
        sdk_version: str = "",
        interceptor_classes: Sequence[type[WorkflowInboundInterceptor]] = (),
        metric_meter: MetricMeter = MetricMeter.noop,
        worker_deployment_version: WorkerDeploymentVersion | None = None,
        patch_activation_callback: Callable[[PatchActivationInput], bool] | None = None,
        extern_functions: Mapping[str, Callable[..., Any]] | None = None,
        create_instance: Callable[[WorkflowInstanceDetails], RunnerWorkflowInstance] | None = None,
    ) -> None:
        self.create_instance = create_instance or create_default_instance
        self.extern_functions: Mapping[str, Callable[..., Any]] = extern_functions or {}
        self.patch_activation_callback = patch_activation_callback
        self._resolve = resolve_definition
        self.metric_meter = metric_meter
        self.interceptor_classes = tuple(interceptor_classes)
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.namespace = namespace
        self.data_converter = data_converter or DataConverter.default
        self.guard = determinism_guard
        self.failure_exception_types = tuple(failure_exception_types)
        # What new tasks report as the version that ran them (a replayed task's is in history).
        self.machines = WorkflowMachines(sdk_version, worker_deployment_version)
        self.runtime: WorkflowRuntime | None = None
        # The runner's instance around the runtime: every activation of the code goes through it.
        self.code: RunnerWorkflowInstance | None = None
        self._task_metadata = task_complete_metadata_pb2.WorkflowTaskCompletedMetadata()
        # Protocol messages of the task being worked on: every completion of the task carries
        # all of them, as it carries all the task's commands (which refer to them by id).
        self._task_messages: list[Message] = []
        if determinism_guard:
            _guard.install()

    @property
    def workflow_type(self) -> str:
        attrs = self.machines.started_attributes
        return attrs.workflow_type.name if attrs is not None else ""

    @property
    def finished(self) -> bool:
        return self.machines.workflow_finished

    def activate(
        self,
        events: Sequence[history_pb2.HistoryEvent],
        *,
        messages: Sequence[Message] = (),
        history_complete: bool = False,
    ) -> WorkflowTaskCompletion:
        """Apply new history events; run the workflow code for each complete workflow task.

        ``messages`` are the protocol messages of the newest task; their answers are in the
        completion. ``history_complete`` says no more events will come (a stored history): a
        trailing partial task is applied too.
        """
        completion = WorkflowTaskCompletion()
        try:
            self.machines.add_events(events)
            self.machines.updates.receive(messages)
            while self.machines.has_unapplied_task(history_complete=history_complete):
                self.machines.apply_next_task(history_complete=history_complete)
                self._task_metadata = task_complete_metadata_pb2.WorkflowTaskCompletedMetadata()
                completion = self._run_task()
                if completion.failure is not None:
                    break
            if history_complete:
                self.machines.check_end_of_history()
        except NondeterminismError as err:
            raise err.with_workflow(self.workflow_type, self.workflow_id) from None
        # A closing command ends the run as soon as the server takes it: no later task comes.
        completion.finished = self.machines.workflow_finished or any(
            command.command_type in _CLOSING_COMMANDS for command in completion.commands
        )
        self._task_messages = []
        self._answer_messages(completion)
        return completion

    def workflow_failure(
        self, error: BaseException, failure: Failure
    ) -> WorkflowTaskCompletion | None:
        """The completion that fails the workflow with ``failure`` because of ``error``, or None.

        A nondeterministic run fails the workflow, not only its task, when
        ``NondeterminismError`` is among the failure exception types of the worker or of the
        workflow's definition; any other error here (corrupt history, deadlock) fails the task.
        """
        if not isinstance(error, NondeterminismError):
            return None
        kinds = list(self.failure_exception_types)
        if self.runtime is not None:
            kinds.extend(self.runtime.workflow_failure_exception_types)
        if not any(isinstance(error, kind) for kind in kinds):
            return None
        return WorkflowTaskCompletion(
            commands=[fail_command(failure)], replaying=False, finished=True
        )

    @property
    def local_activities_outstanding(self) -> int:
        """Local activities the worker runs for this run whose outcome has not been given."""
        return self.machines.local_activities.outstanding

    @property
    def workflow_task_timeout_seconds(self) -> float:
        attrs = self.machines.started_attributes
        if attrs is None or not attrs.HasField("workflow_task_timeout"):
            return 10.0
        return attrs.workflow_task_timeout.ToTimedelta().total_seconds() or 10.0

    def resolve_local_activities(
        self, resolutions: Sequence[LocalActivityResolution]
    ) -> WorkflowTaskCompletion:
        """Hand the worker's local activity outcomes in; the code runs on. The completion has
        every command of the task so far (markers included) and the next local activity work."""
        try:
            for resolution in resolutions:
                self.machines.local_activities.resolve(resolution)
            completion = self._run_task()
        except NondeterminismError as err:
            raise err.with_workflow(self.workflow_type, self.workflow_id) from None
        completion.finished = self.machines.workflow_finished or any(
            command.command_type in _CLOSING_COMMANDS for command in completion.commands
        )
        self._answer_messages(completion)
        return completion

    def _answer_messages(self, completion: WorkflowTaskCompletion) -> None:
        """Put the task's protocol messages so far in ``completion``.

        A task with local activities completes after more rounds (``resolve_local_activities``)
        whose completions hold every command of the task, acceptances of updates of the first
        round included: their messages must come along, or the server refuses the completion.
        """
        if completion.failure is not None:
            self.machines.updates.take_messages()  # a failed task answers nothing
            self._task_messages = []
            return
        self._task_messages.extend(self.machines.updates.take_messages())
        completion.messages = list(self._task_messages)

    def _run_task(self) -> WorkflowTaskCompletion:
        machines = self.machines
        jobs = machines.take_jobs()
        replaying = machines.replaying
        completion = WorkflowTaskCompletion(replaying=replaying)
        while jobs:
            runtime = self._runtime_for(jobs)
            time_ns = machines.current_time_ns or runtime.time_ns
            runtime.properties.history = HistoryHints(
                machines.history_length,
                machines.history_size_bytes,
                machines.continue_as_new_suggested,
                machines.worker_versions.current,
                machines.worker_versions.target_changed,
            )
            activated = self._activate(WorkflowActivation(jobs, time_ns, replaying))
            machines.local_activities.activations_in_task += 1
            if activated.failure is not None:
                completion.failure = activated.failure
                return completion
            machines.handle_intents(activated.intents)
            jobs = machines.take_jobs()
        machines.prepare_commands()
        completion.commands = machines.unsent_commands()
        if self.runtime is not None and self.runtime.versioning_behavior:
            completion.versioning_behavior = int(self.runtime.versioning_behavior)
        completion.local_activities = machines.local_activities.take_work()
        if not replaying:
            machines.flags.record_all_implemented()
            # Flags newly used by later rounds of the task (local activities) add to the first's.
            self._task_metadata.MergeFrom(machines.flags.take_metadata())
            completion.sdk_metadata = self._task_metadata
        return completion

    def _activate(self, activation: WorkflowActivation) -> WorkflowActivationCompletion:
        assert self.code is not None
        try:
            return self.code.activate(activation)
        except Exception as err:  # a custom instance that raised: the task fails, as upstream
            return WorkflowActivationCompletion(failure=err)

    def _runtime_for(self, jobs: list[j.Job]) -> WorkflowRuntime:
        if self.runtime is not None:
            return self.runtime
        init = next((job for job in jobs if isinstance(job, j.InitializeWorkflow)), None)
        if init is None:
            raise CorruptHistoryError("history does not begin with WorkflowExecutionStarted")
        definition = self._resolve(init.attributes.workflow_type.name)

        def build() -> WorkflowRuntime:
            return WorkflowRuntime(
                definition,
                init,
                info=details.info,  # built once per run: the runner's details carry it
                namespace=self.namespace,
                workflow_id=self.workflow_id,
                run_id=self.run_id,
                data_converter=self.data_converter,
                flags=self.machines.flags,
                guard=self.guard,
                failure_exception_types=self.failure_exception_types,
                interceptor_classes=self.interceptor_classes,
                metric_meter=self.metric_meter,
                patch_activation_callback=self.patch_activation_callback,
                extern_functions=self.extern_functions,
            )

        details = self._details(definition, init)
        self.code, self.runtime = create_through(self.create_instance, details, build)
        return self.runtime

    def _details(
        self, definition: _Definition, init: j.InitializeWorkflow
    ) -> WorkflowInstanceDetails:
        attrs = init.attributes
        converter = self.data_converter
        return WorkflowInstanceDetails(
            payload_converter_factory=lambda: converter.payload_converter,
            failure_converter_class=type(converter.failure_converter),
            interceptor_classes=self.interceptor_classes,
            defn=definition,
            info=make_info(
                init, workflow_id=self.workflow_id, namespace=self.namespace, run_id=self.run_id
            ),
            randomness_seed=init.randomness_seed,
            extern_functions=self.extern_functions,
            disable_eager_activity_execution=False,
            worker_level_failure_exception_types=self.failure_exception_types,
            patch_activation_callback=self.patch_activation_callback,
            last_completion_result=attrs.last_completion_result,
            last_failure=attrs.continued_failure if attrs.HasField("continued_failure") else None,
        )

    def query(
        self,
        query_type: str,
        arguments: Sequence[common_pb2.Payload] = (),
        *,
        query_id: str = "query",
        headers: Mapping[str, common_pb2.Payload] | None = None,
    ) -> common_pb2.Payload:
        """Run a query handler read-only against the current state; returns its answer payload.

        ``headers`` are the query's (a caller's trace context, say): the interceptors see them.
        """
        runtime = self.runtime
        if runtime is None:
            raise RuntimeError("the workflow has not started yet; feed it history first")
        query = j.QueryWorkflow(query_id, query_type, list(arguments), dict(headers or {}))
        activated = self._activate(WorkflowActivation([query], runtime.time_ns, True))
        if activated.failure is not None:
            runtime.activation_error = None
            raise activated.failure
        answer = runtime.query_results.pop(query_id)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    @property
    def evicts_without_workflow_code(self) -> bool:
        """Whether :py:meth:`evict` runs no workflow code (no task left, nothing scheduled),
        so a worker may call it on its own thread without the deadlock detector."""
        runtime = self.runtime
        return runtime is None or (not runtime.tasks and runtime.loop.idle)

    def evict(self) -> None:
        """Drop the run (a worker's cache eviction): its tasks are cancelled, quietly."""
        runtime = self.runtime
        if runtime is None:
            return
        runtime.deleting = True
        runtime.is_replaying = True  # nothing is logged while tearing down
        for task in list(runtime.tasks):
            task.cancel()
        runtime.loop.run_once(check_conditions=False)
        self.runtime = None
        self.code = None

    def abandon(self) -> None:
        """Drop the run while its thread may still be inside workflow code (a deadlock).

        Nothing is cancelled from here (that would race the thread); the run is only marked as
        going away, so that the interrupted code unwinds quietly (no "exception never retrieved"
        noise). The instance must not be activated again.
        """
        if self.runtime is not None:
            self.runtime.deleting = True
