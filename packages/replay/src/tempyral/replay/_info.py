"""``workflow.info()`` built from the ``WorkflowExecutionStarted`` event."""

from __future__ import annotations

from datetime import timedelta, timezone

from tempyral.api.dependencies.google.protobuf.duration_pb2 import Duration
from tempyral.common import Priority, RetryPolicy
from tempyral.converter import decode_search_attributes, decode_typed_search_attributes
from tempyral.replay import _jobs as j
from tempyral.workflow._context import Info, ParentInfo, RootInfo

__all__ = ["make_info"]


def _delta(duration: Duration | None) -> timedelta | None:
    if duration is None or not duration.ByteSize():
        return None
    return duration.ToTimedelta()


def make_info(init: j.InitializeWorkflow, *, workflow_id: str, namespace: str, run_id: str) -> Info:
    a = init.attributes
    parent = a.parent_workflow_execution
    root = a.root_workflow_execution
    return Info(
        attempt=a.attempt,
        continued_run_id=a.continued_execution_run_id or None,
        cron_schedule=a.cron_schedule or None,
        execution_timeout=_delta(a.workflow_execution_timeout),
        first_execution_run_id=a.first_execution_run_id,
        headers=dict(a.header.fields),
        namespace=namespace,
        original_execution_run_id=a.original_execution_run_id,
        parent=ParentInfo(a.parent_workflow_namespace, parent.run_id, parent.workflow_id)
        if parent.workflow_id
        else None,
        root=RootInfo(root.run_id, root.workflow_id) if root.workflow_id else None,
        priority=Priority._from_proto(a.priority),
        raw_memo=dict(a.memo.fields),
        retry_policy=RetryPolicy.from_proto(a.retry_policy) if a.HasField("retry_policy") else None,
        run_id=run_id or a.original_execution_run_id,
        run_timeout=_delta(a.workflow_run_timeout),
        search_attributes=decode_search_attributes(a.search_attributes),
        typed_search_attributes=decode_typed_search_attributes(a.search_attributes),
        start_time=init.start_time.astimezone(timezone.utc),
        task_queue=a.task_queue.name,
        task_timeout=_delta(a.workflow_task_timeout) or timedelta(seconds=10),
        workflow_id=workflow_id,
        workflow_start_time=init.start_time,
        workflow_type=a.workflow_type.name,
    )
