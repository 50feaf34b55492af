"""Which worker version ran the workflow task the code runs in (``Info.get_current_build_id()``,
``get_current_deployment_version()``, ``is_target_worker_deployment_version_changed()``).

The answer must be the same on every replay, so it comes from history as the official Core SDK
takes it: each ``WorkflowTaskCompleted`` event names the build ID or deployment version of the
worker that completed the task, and a replayed task sees the version that completed it (a
completion that names none keeps the version seen before). A task that runs for the first time
sees this worker's own version (its deployment version, else its build ID). Whether the server
moved the workflow's target version comes from each ``WorkflowTaskStarted`` event.
"""

from __future__ import annotations

from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.common import WorkerDeploymentVersion

__all__ = ["WorkerVersions", "recorded_version"]


def recorded_version(
    attrs: history_pb2.WorkflowTaskCompletedEventAttributes,
) -> WorkerDeploymentVersion | None:
    """The version a ``WorkflowTaskCompleted`` event names, newest field first; None if none.

    Servers have recorded it three ways over time: a build ID stamp (with the deployment name
    beside it), a ``<deployment>.<build>`` string, and a deployment version message.
    """
    deployment_name = attrs.worker_deployment_name
    build_id = attrs.worker_version.build_id  # deprecated upstream, still what servers record
    legacy = attrs.worker_deployment_version  # deprecated upstream: "<deployment>.<build>"
    if "." in legacy:
        deployment_name, _, build_id = legacy.partition(".")
    if attrs.HasField("deployment_version"):
        deployment_name = attrs.deployment_version.deployment_name
        build_id = attrs.deployment_version.build_id
    if not deployment_name and not build_id:
        return None
    return WorkerDeploymentVersion(deployment_name=deployment_name, build_id=build_id)


class WorkerVersions:
    """The current task's worker version and target-version flag, as history walks by."""

    __slots__ = ("current", "own", "target_changed")

    def __init__(self, own: WorkerDeploymentVersion | None) -> None:
        self.own = own if own is not None and (own.build_id or own.deployment_name) else None
        self.current: WorkerDeploymentVersion | None = None
        self.target_changed = False

    def task_completed(self, attrs: history_pb2.WorkflowTaskCompletedEventAttributes) -> None:
        version = recorded_version(attrs)
        if version is not None:
            self.current = version

    def task_started(self, attrs: history_pb2.WorkflowTaskStartedEventAttributes) -> None:
        self.target_changed = attrs.target_worker_deployment_version_changed

    def running_new_task(self) -> None:
        """This worker runs (and will complete) the task: its own version is the current one."""
        self.current = self.own
