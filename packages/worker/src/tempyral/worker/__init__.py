"""Worker for processing Temporal workflows and/or activities (mirrors ``temporalio.worker``).

``Worker(client, task_queue=..., activities=[...])`` polls the task queue and runs the
activities; ``await worker.run()`` (or ``async with worker:``) until ``await worker.shutdown()``.

Differences from ``temporalio.worker``: workflows cannot be run yet (a Worker given
``workflows=`` says so when created); ``nexus_service_handlers``, ``plugins``, ``tuner``,
autoscaling pollers and process-pool activity executors raise ``NotImplementedError``;
``SandboxedWorkflowRunner`` / ``UnsandboxedWorkflowRunner`` are accepted for source compatibility
(tempyral has no per-run sandbox). Logging goes through loguru and is off unless enabled:
``logger.enable("tempyral")``.
"""

from tempyral.common import WorkerDeploymentVersion
from tempyral.worker._config import (
    PollerBehavior,
    PollerBehaviorAutoscaling,
    PollerBehaviorSimpleMaximum,
    WorkerConfig,
)
from tempyral.worker._interceptor import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)
from tempyral.worker._runners import (
    SandboxedWorkflowRunner,
    UnsandboxedWorkflowRunner,
    WorkflowRunner,
)
from tempyral.worker._versioning import WorkerDeploymentConfig, load_default_build_id
from tempyral.worker._worker import Worker

__all__ = [
    "ActivityInboundInterceptor",
    "ActivityOutboundInterceptor",
    "ExecuteActivityInput",
    "Interceptor",
    "PollerBehavior",
    "PollerBehaviorAutoscaling",
    "PollerBehaviorSimpleMaximum",
    "SandboxedWorkflowRunner",
    "UnsandboxedWorkflowRunner",
    "Worker",
    "WorkerConfig",
    "WorkerDeploymentConfig",
    "WorkerDeploymentVersion",
    "WorkflowRunner",
    "load_default_build_id",
]
