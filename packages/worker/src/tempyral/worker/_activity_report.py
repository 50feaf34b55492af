"""An activity attempt's outcome, and its delivery to the server.

:py:func:`outcome_from_error` applies the official SDK's rules to whatever the activity raised:
``raise_complete_async()`` reports nothing; a cancellation caused by a failed heartbeat fails with
that heartbeat's error; one caused by a pause or a reset fails with an ``ActivityPause`` /
``ActivityReset`` application error; a requested cancellation is reported as cancelled (and one
forced by worker shutdown as a retryable ``WorkerShutdown`` failure, as Temporal's core SDK
does, so the attempt is retried elsewhere at once); anything else fails the attempt.

:py:func:`send_outcome` calls ``RespondActivityTask{Completed,Failed,Canceled}``. The service layer
retries briefly; when the server stays unreachable (a restart) the outcome is retried here until
the attempt's own deadline, after which the server has timed it out and will not accept it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tempyral.activity.runtime import CompleteAsyncError
from tempyral.api.common.v1.message_pb2 import Payload, Payloads
from tempyral.api.enums.v1.failed_cause_pb2 import ACTIVITY_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE
from tempyral.api.failure.v1.message_pb2 import ApplicationFailureInfo, Failure
from tempyral.api.workflowservice.v1.request_response_pb2 import (
    RespondActivityTaskCanceledRequest,
    RespondActivityTaskCompletedRequest,
    RespondActivityTaskFailedRequest,
)
from tempyral.converter import DataConverter
from tempyral.exceptions import ApplicationError, ApplicationErrorCategory, CancelledError
from tempyral.service import RPCError, RPCStatusCode, WorkflowService
from tempyral.worker._payload_errors import (
    PAYLOADS_TOO_LARGE,
    PayloadErrorLimits,
    PayloadsTooLargeError,
)
from tempyral.worker._versioning import VersioningStrategy

if TYPE_CHECKING:
    from loguru import Logger

    from tempyral.worker._activity_run import RunningActivity

__all__ = ["Outcome", "outcome_from_error", "send_outcome"]

_RETRYABLE = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.INTERNAL,
        RPCStatusCode.UNKNOWN,
        RPCStatusCode.ABORTED,
        RPCStatusCode.CANCELLED,
    }
)
_MAX_RETRY_DELAY = 5.0


@dataclass
class Outcome:
    """What to tell the server about one attempt."""

    kind: Literal["completed", "failed", "cancelled", "async"]
    result: Payload | None = None
    failure: Failure | None = None

    @property
    def flushes_heartbeat(self) -> bool:
        """Failed and cancelled attempts send their last pending heartbeat details first."""
        return self.kind in ("failed", "cancelled")


def worker_shutdown_failure() -> Failure:
    return Failure(
        message="Worker is shutting down and this activity did not complete in time",
        application_failure_info=ApplicationFailureInfo(type="WorkerShutdown", non_retryable=False),
    )


def _is_cancel(err: BaseException) -> bool:
    return isinstance(err, (asyncio.CancelledError, CancelledError))


async def outcome_from_error(
    err: BaseException, running: RunningActivity, converter: DataConverter, activity_log: Logger
) -> tuple[Outcome, BaseException | None]:
    """The outcome for an attempt that raised ``err``, and the executor breakage to escalate."""
    details = running.cancellation_details.details
    failure = Failure()
    if isinstance(err, CompleteAsyncError):
        activity_log.debug("Completing activity asynchronously")
        return Outcome("async"), None
    if _is_cancel(err) and running.cancelled_due_to_heartbeat_error is not None:
        cause = running.cancelled_due_to_heartbeat_error
        activity_log.warning(
            "Completing as failure during heartbeat with error of type {}: {}", type(cause), cause
        )
        await converter.encode_failure(cause, failure)
        return Outcome("failed", failure=failure), None
    if _is_cancel(err) and details is not None and (details.paused or details.reset):
        kind = "pause" if details.paused else "reset"
        activity_log.warning(
            "Completing as failure due to unhandled cancel error produced by {}", kind
        )
        error = ApplicationError(
            f"Unhandled activity cancel error produced by activity {kind}",
            type="ActivityPause" if details.paused else "ActivityReset",
        )
        await converter.encode_failure(error, failure)
        return Outcome("failed", failure=failure), None
    if _is_cancel(err) and running.cancelled_by_request:
        if running.cancelled_for_shutdown:
            return Outcome("failed", failure=worker_shutdown_failure()), None
        activity_log.debug("Completing activity as cancelled")
        await converter.encode_failure(CancelledError("Cancelled"), failure)
        return Outcome("cancelled", failure=failure), None
    benign = isinstance(err, ApplicationError) and err.category is ApplicationErrorCategory.BENIGN
    activity_log.opt(exception=err).log(
        "DEBUG" if benign else "WARNING", "Completing activity as failed"
    )
    await converter.encode_failure(err, failure)
    broken = err if isinstance(err, concurrent.futures.BrokenExecutor) else None
    return Outcome("failed", failure=failure), broken


async def send_outcome(
    service: WorkflowService,
    outcome: Outcome,
    *,
    task_token: bytes,
    namespace: str,
    identity: str,
    versioning: VersioningStrategy,
    give_up_at: float,
    activity_log: Logger,
    payload_errors: PayloadErrorLimits | None = None,
) -> None:
    """Report ``outcome``; retry while the server is unreachable, until ``give_up_at``."""
    delay = 0.5
    while True:
        try:
            await _send_once(
                service,
                outcome,
                task_token=task_token,
                namespace=namespace,
                identity=identity,
                versioning=versioning,
                payload_errors=payload_errors or PayloadErrorLimits(),
                activity_log=activity_log,
            )
            return
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                activity_log.warning(
                    "Activity not found on completion: it may have timed out or been cancelled "
                    "and completed anyway ({})",
                    err.message,
                )
                return
            if err.status not in _RETRYABLE or time.monotonic() + delay > give_up_at:
                activity_log.warning(
                    "Failed to report activity {}: {}: {}", outcome.kind, err.status.name, err
                )
                return
            activity_log.info(
                "Reporting activity {} failed ({}); retrying in {:.1f}s",
                outcome.kind,
                err.status.name,
                delay,
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, _MAX_RETRY_DELAY)


async def _send_once(
    service: WorkflowService,
    outcome: Outcome,
    *,
    task_token: bytes,
    namespace: str,
    identity: str,
    versioning: VersioningStrategy,
    payload_errors: PayloadErrorLimits,
    activity_log: Logger,
) -> None:
    if outcome.kind == "completed":
        done = RespondActivityTaskCompletedRequest(
            task_token=task_token, namespace=namespace, identity=identity
        )
        if outcome.result is not None:
            done.result.CopyFrom(Payloads(payloads=[outcome.result]))
        too_large = payload_errors.violation(done)
        if too_large is None:
            versioning.apply_to_response(done)
            await service.respond_activity_task_completed(done, retry=True)
            return
        # The server would reject the result: the attempt fails (retryably) instead.
        error = PayloadsTooLargeError(too_large)
        activity_log.error("Activity result too large, failing the attempt: {}", error)
        failed = RespondActivityTaskFailedRequest(
            task_token=task_token,
            namespace=namespace,
            identity=identity,
            cause=ACTIVITY_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE,
            failure=Failure(
                message=error.message,
                application_failure_info=ApplicationFailureInfo(type=PAYLOADS_TOO_LARGE),
            ),
        )
        versioning.apply_to_response(failed)
        await service.respond_activity_task_failed(failed, retry=True)
    elif outcome.kind == "failed":
        failed = RespondActivityTaskFailedRequest(
            task_token=task_token, namespace=namespace, identity=identity, failure=outcome.failure
        )
        versioning.apply_to_response(failed)
        await service.respond_activity_task_failed(failed, retry=True)
    elif outcome.kind == "cancelled":
        cancelled = RespondActivityTaskCanceledRequest(
            task_token=task_token, namespace=namespace, identity=identity
        )
        failure = outcome.failure
        if failure is not None and failure.HasField("canceled_failure_info"):
            info_details = failure.canceled_failure_info.details
            if info_details.payloads:
                cancelled.details.CopyFrom(info_details)
        versioning.apply_to_response(cancelled)
        await service.respond_activity_task_canceled(cancelled, retry=True)
