"""Nexus operation handlers on Temporal (mirrors ``temporalio.nexus``).

A worker serves Nexus services given as ``Worker(nexus_service_handlers=[MyService()])``, where
``MyService`` is a ``nexusrpc`` ``@service_handler`` class. Its operations are
``@nexusrpc.handler.sync_operation`` methods (answer at once), ``@workflow_run_operation``
methods (start a workflow whose result completes the caller) or ``@temporal_operation`` methods.
Inside a handler, :py:func:`info`, :py:func:`client`, :py:func:`metric_meter`,
:py:data:`logger` and the worker-shutdown functions describe the running operation.
"""

from tempyral.nexus._context import (
    Info,
    LoggerAdapter,
    NexusCallback,
    TemporalCancelOperationContext,
    TemporalStartOperationContext,
    client,
    in_operation,
    info,
    is_worker_shutdown,
    logger,
    metric_meter,
    wait_for_worker_shutdown,
    wait_for_worker_shutdown_sync,
)
from tempyral.nexus._decorators import (
    TemporalOperationStartHandlerFunc,
    temporal_operation,
    workflow_run_operation,
)
from tempyral.nexus._handlers import (
    CancelActivityOptions,
    CancelUpdateWorkflowOptions,
    CancelWorkflowRunOptions,
    TemporalOperationHandler,
)
from tempyral.nexus._operations import (
    TemporalNexusClient,
    TemporalOperationResult,
    WorkflowRunOperationContext,
)
from tempyral.nexus._token import WorkflowHandle

__all__ = (
    "CancelActivityOptions",
    "CancelUpdateWorkflowOptions",
    "CancelWorkflowRunOptions",
    "Info",
    "LoggerAdapter",
    "NexusCallback",
    "TemporalCancelOperationContext",
    "TemporalNexusClient",
    "TemporalOperationHandler",
    "TemporalOperationResult",
    "TemporalOperationStartHandlerFunc",
    "TemporalStartOperationContext",
    "WorkflowHandle",
    "WorkflowRunOperationContext",
    "client",
    "in_operation",
    "info",
    "is_worker_shutdown",
    "logger",
    "metric_meter",
    "temporal_operation",
    "wait_for_worker_shutdown",
    "wait_for_worker_shutdown_sync",
    "workflow_run_operation",
)
