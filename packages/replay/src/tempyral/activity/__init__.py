"""Functions that can be called inside of activities (mirrors ``temporalio.activity``).

Decorate activity functions with :py:func:`defn` and register them on a
:py:class:`tempyral.worker.Worker`. While an activity runs, :py:func:`info`, :py:func:`heartbeat`,
:py:func:`is_cancelled` and the rest reach it through :py:mod:`contextvars`; code running in a
thread the activity starts itself must propagate the context to use them.
"""

from tempyral.activity._context import (
    _CompleteAsyncError as _CompleteAsyncError,
)
from tempyral.activity._context import (
    _Context as _Context,
)
from tempyral.activity._context import (
    cancellation_details,
    client,
    heartbeat,
    in_activity,
    info,
    is_cancelled,
    is_worker_shutdown,
    metric_meter,
    payload_converter,
    raise_complete_async,
    shield_thread_cancel_exception,
    wait_for_cancelled,
    wait_for_cancelled_sync,
    wait_for_worker_shutdown,
    wait_for_worker_shutdown_sync,
)
from tempyral.activity._definition import CallableType, defn
from tempyral.activity._definition import _Definition as _Definition
from tempyral.activity._info import ActivityCancellationDetails, Info
from tempyral.activity._logging import LoggerAdapter, logger

__all__ = [
    "ActivityCancellationDetails",
    "CallableType",
    "Info",
    "LoggerAdapter",
    "cancellation_details",
    "client",
    "defn",
    "heartbeat",
    "in_activity",
    "info",
    "is_cancelled",
    "is_worker_shutdown",
    "logger",
    "metric_meter",
    "payload_converter",
    "raise_complete_async",
    "shield_thread_cancel_exception",
    "wait_for_cancelled",
    "wait_for_cancelled_sync",
    "wait_for_worker_shutdown",
    "wait_for_worker_shutdown_sync",
]
