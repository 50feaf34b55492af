"""Running the local activities workflow tasks ask for, as Temporal's core SDK does.

The engine lists what a task wants started or cancelled
(``WorkflowTaskCompletion.local_activities``); :py:class:`LocalActivityRunner` runs each one in
the activity worker (one local activity slot per attempt, ``max_concurrent_local_activities``)
and hands the outcomes back per run as :py:class:`~tempyral.replay.LocalActivityResolution`:

- attempts are retried here, after the retry policy's backoff (the default policy when none is
  given: 1 s doubling up to 100 s, unlimited attempts), until they succeed, fail for good, run out
  of attempts or would outlive the schedule-to-close timeout;
- a backoff longer than the local retry threshold (1 minute by default) is not slept here: the
  failed attempt resolves with that backoff and the workflow sleeps on a timer in history before
  scheduling the next attempt (this keeps workflow tasks short);
- an attempt that outlives its start-to-close timeout is cancelled and counts as a timed-out
  (retryable) attempt; the schedule-to-close timeout ends the activity; waiting longer than the
  schedule-to-start timeout for a slot times it out too;
- a cancel from the engine cancels the running attempt (or the local backoff) and resolves it as
  cancelled.

When the worker shuts down and its grace period elapses, attempts are cancelled and the run's
activities end with :py:class:`LocalActivitiesInterrupted`: the task is left to time out, and
another worker runs them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from tempyral.activity import ActivityCancellationDetails
from tempyral.api.common.v1.message_pb2 import (
    ActivityType,
    Header,
    Payload,
    Payloads,
    RetryPolicy,
    WorkflowExecution,
    WorkflowType,
)
from tempyral.api.dependencies.google.protobuf import duration_pb2, timestamp_pb2
from tempyral.api.enums.v1.workflow_pb2 import TimeoutType
from tempyral.api.failure.v1.message_pb2 import CanceledFailureInfo, Failure, TimeoutFailureInfo
from tempyral.api.workflowservice.v1.request_response_pb2 import PollActivityTaskQueueResponse
from tempyral.replay import LocalActivityRequest, LocalActivityResolution
from tempyral.worker._activity_report import Outcome
from tempyral.worker._slots import LocalActivitySlot, SlotPermit

if TYPE_CHECKING:
    from tempyral.replay import WorkflowTaskCompletion
    from tempyral.worker._activity_run import RunningActivity
    from tempyral.worker._activity_worker import ActivityWorker

__all__ = ["LocalActivitiesInterrupted", "LocalActivityRunner", "WorkflowRef"]

_NS = 1_000_000_000
_DEFAULT_RETRY_THRESHOLD_NS = 60 * _NS
_DEFAULT_INITIAL_INTERVAL_NS = _NS
_DEFAULT_BACKOFF = 2.0

_Status = Literal["completed", "failed", "timed_out", "cancelled"]


class LocalActivitiesInterrupted(Exception):
    """The worker is shutting down: the run's local activities were cancelled unfinished."""


@dataclass(frozen=True)
class WorkflowRef:
    """The workflow a local activity runs for (its info and serialization context)."""

    namespace: str
    workflow_id: str
    run_id: str
    workflow_type: str


@dataclass
class _Run:
    """The local activities of one workflow run and the outcomes not yet handed back."""

    running: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    attempts: dict[int, RunningActivity] = field(default_factory=dict)
    done: list[LocalActivityResolution] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    interrupted: bool = False


class LocalActivityRunner:
    """The local activities of every run this worker has in flight."""

    def __init__(self, activity_worker: ActivityWorker | None) -> None:
        self._worker = activity_worker
        self._runs: dict[str, _Run] = {}

    def assert_registered(self, activity_type: str) -> None:
        """Raise ValueError (the task fails and is retried) for an activity not on this worker."""
        if self._worker is None:
            raise ValueError(
                f"Activity function {activity_type} is not registered on this worker, which"
                " has no activities: pass it in Worker(activities=[...]) to run it locally"
            )
        self._worker.registry.assert_valid(activity_type)

    # -- what the workflow task asks -------------------------------------------------------------

    async def settle(
        self,
        workflow: WorkflowRef,
        completion: WorkflowTaskCompletion,
        *,
        outstanding: Callable[[], int],
        resolve: Callable[[list[LocalActivityResolution]], Awaitable[WorkflowTaskCompletion]],
        encode: Callable[[LocalActivityRequest], Awaitable[LocalActivityRequest]] | None = None,
        deadline: float,
    ) -> WorkflowTaskCompletion:
        """Run what the task asks and feed the outcomes back until none is outstanding, the task
        fails, or ``deadline`` (``time.monotonic()``) passes: the caller then heartbeats the task
        with what it has, and the activities run on. ``encode`` prepares a request's payloads for
        the attempt (the payload codec); ``resolve`` gets the outcomes as the attempts made them."""
        while completion.failure is None:
            work = completion.local_activities
            for request in work.start:
                self.assert_registered(request.activity_type)
            for request in work.start:
                self.start(workflow, await encode(request) if encode else request)
            for seq in work.cancel:
                self.cancel(workflow.run_id, seq)
            if outstanding() == 0:
                break
            resolutions = await self.wait(workflow.run_id, deadline=deadline)
            if not resolutions:
                break
            completion = await resolve(resolutions)
        return completion

    def start(self, workflow: WorkflowRef, request: LocalActivityRequest) -> None:
        run = self._runs.setdefault(workflow.run_id, _Run())
        task = asyncio.create_task(
            self._execute(run, workflow, request), name=f"local activity {request.activity_type}"
        )
        run.running[request.seq] = task
        task.add_done_callback(lambda _: run.running.pop(request.seq, None))

    def cancel(self, run_id: str, seq: int) -> None:
        run = self._runs.get(run_id)
        if run is None:
            return
        attempt = run.attempts.get(seq)
        if attempt is not None:
            attempt.request_cancel(ActivityCancellationDetails(cancel_requested=True))
        elif seq in run.running:
            run.running[seq].cancel()  # waiting for a slot or in a local backoff

    async def wait(self, run_id: str, *, deadline: float) -> list[LocalActivityResolution]:
        """Outcomes of the run's local activities: those that arrived, else wait for one until
        ``deadline``; empty when it passed. Raises :py:class:`LocalActivitiesInterrupted`."""
        run = self._runs.setdefault(run_id, _Run())
        if not run.done and not run.interrupted:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(
                    run.arrived.wait(), timeout=max(0.0, deadline - time.monotonic())
                )
        if run.interrupted:
            raise LocalActivitiesInterrupted(
                "the worker is shutting down: local activities were cancelled unfinished"
            )
        done, run.done = run.done, []
        run.arrived.clear()
        return done

    async def forget(self, run_id: str) -> None:
        """The run left this worker (evicted, finished): cancel its activities, drop outcomes."""
        run = self._runs.pop(run_id, None)
        if run is None:
            return
        tasks = list(run.running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- one local activity ----------------------------------------------------------------------

    async def _execute(
        self, run: _Run, workflow: WorkflowRef, request: LocalActivityRequest
    ) -> None:
        try:
            resolution = await self._attempts(run, workflow, request)
        except asyncio.CancelledError:
            if run is not self._runs.get(workflow.run_id):
                raise  # forgotten: nobody waits
            # Cancelled before an attempt ended (waiting for a slot, or in a local backoff).
            ended = _Ended(request, 0, request.original_schedule_time_ns)
            resolution = ended.resolution("cancelled", _cancelled_failure())
        except LocalActivitiesInterrupted:
            run.interrupted = True
            run.arrived.set()
            return
        run.done.append(resolution)
        run.arrived.set()

    async def _attempts(
        self, run: _Run, workflow: WorkflowRef, request: LocalActivityRequest
    ) -> LocalActivityResolution:
        worker = self._worker
        assert worker is not None
        original_ns = request.original_schedule_time_ns or time.time_ns()
        close_deadline_ns = (
            original_ns + request.schedule_to_close_ns if request.schedule_to_close_ns else None
        )
        policy = request.retry_policy or RetryPolicy()
        threshold_ns = request.local_retry_threshold_ns or _DEFAULT_RETRY_THRESHOLD_NS
        first_attempt = attempt = max(request.attempt, 1)
        while True:
            ended = _Ended(request, attempt, original_ns)
            permit = await self._slot(worker, request, first=attempt == first_attempt)
            if permit is None:
                return ended.timed_out(TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START)
            permit.mark_used(LocalActivitySlot(activity_type=request.activity_type))
            started = time.monotonic()
            try:
                outcome, timed_out = await self._attempt(
                    run, worker, workflow, request, attempt, original_ns, close_deadline_ns
                )
            finally:
                permit.release()
            ended.runtime_ns = int((time.monotonic() - started) * _NS)
            if timed_out == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
                return ended.timed_out(timed_out)
            if timed_out is not None:
                status: _Status = "timed_out"
                failure = _timeout_failure(timed_out)
            else:
                assert outcome is not None
                if outcome.kind == "completed":
                    return ended.resolution("completed", result=outcome.result)
                if outcome.kind == "cancelled":
                    return ended.resolution("cancelled", outcome.failure or _cancelled_failure())
                status = "failed"
                failure = outcome.failure or Failure(message="Local activity failed")
            backoff_ns = _next_backoff_ns(policy, attempt, failure, close_deadline_ns)
            if backoff_ns is None:
                return ended.resolution(status, failure)
            if backoff_ns > threshold_ns:
                # Too long to hold the workflow task: the workflow sleeps on a timer instead.
                return ended.resolution(status, failure, backoff_ns=backoff_ns)
            await asyncio.sleep(backoff_ns / _NS)
            attempt += 1

    async def _slot(
        self, worker: ActivityWorker, request: LocalActivityRequest, *, first: bool
    ) -> SlotPermit | None:
        """A local activity slot; None when schedule-to-start passed waiting for it."""
        wait = request.schedule_to_start_ns if first else None
        try:
            return await asyncio.wait_for(
                worker.local_slots.reserve(), timeout=wait / _NS if wait else None
            )
        except asyncio.TimeoutError:
            return None

    async def _attempt(
        self,
        run: _Run,
        worker: ActivityWorker,
        workflow: WorkflowRef,
        request: LocalActivityRequest,
        attempt: int,
        original_ns: int,
        close_deadline_ns: int | None,
    ) -> tuple[Outcome | None, TimeoutType | None]:
        """One attempt: its outcome, or which timeout ended it."""
        now_ns = time.time_ns()
        limits: list[tuple[float, TimeoutType]] = []
        if request.start_to_close_ns:
            limits.append(
                (request.start_to_close_ns / _NS, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE)
            )
        if close_deadline_ns is not None:
            limits.append(
                (
                    max(0.0, (close_deadline_ns - now_ns) / _NS),
                    TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
                )
            )
        limit = min(limits) if limits else None
        if limit is not None and limit[0] <= 0:
            return None, limit[1]
        # Loaded with the activity worker that runs local activities (a workflow-only worker
        # has none, and never gets here).
        from tempyral.worker._activity_run import RunningActivity

        running = RunningActivity(
            task_token=f"local/{workflow.run_id}/{request.seq}/{attempt}".encode()
        )
        task = _activity_task(workflow, request, attempt, original_ns, now_ns)
        run.attempts[request.seq] = running
        outcome_task = worker.start_local_attempt(task, running)
        try:
            done, _ = await asyncio.wait({outcome_task}, timeout=limit[0] if limit else None)
            if outcome_task in done:
                outcome = outcome_task.result()
                if running.cancelled_for_shutdown:
                    raise LocalActivitiesInterrupted("worker shutdown")
                return outcome, None
            assert limit is not None
            running.request_cancel(ActivityCancellationDetails(timed_out=True))
            await outcome_task
            return None, limit[1]
        except asyncio.CancelledError:
            running.request_cancel(ActivityCancellationDetails(cancel_requested=True))
            await asyncio.gather(outcome_task, return_exceptions=True)
            raise
        finally:
            run.attempts.pop(request.seq, None)


def _activity_task(
    workflow: WorkflowRef,
    request: LocalActivityRequest,
    attempt: int,
    original_ns: int,
    now_ns: int,
) -> PollActivityTaskQueueResponse:
    """The attempt described as an activity task, so it runs like any other activity."""
    task = PollActivityTaskQueueResponse(
        task_token=f"local/{workflow.run_id}/{request.seq}/{attempt}".encode(),
        workflow_namespace=workflow.namespace,
        workflow_type=WorkflowType(name=workflow.workflow_type),
        workflow_execution=WorkflowExecution(
            workflow_id=workflow.workflow_id, run_id=workflow.run_id
        ),
        activity_type=ActivityType(name=request.activity_type),
        activity_id=request.activity_id,
        header=Header(fields=dict(request.headers)),
        input=Payloads(payloads=list(request.arguments)),
        scheduled_time=_timestamp(original_ns),
        current_attempt_scheduled_time=_timestamp(now_ns),
        started_time=_timestamp(now_ns),
        attempt=attempt,
    )
    if request.schedule_to_close_ns:
        task.schedule_to_close_timeout.CopyFrom(_duration(request.schedule_to_close_ns))
    if request.start_to_close_ns:
        task.start_to_close_timeout.CopyFrom(_duration(request.start_to_close_ns))
    if request.retry_policy is not None:
        task.retry_policy.CopyFrom(request.retry_policy)
    return task


def _next_backoff_ns(
    policy: RetryPolicy, attempt: int, failure: Failure, close_deadline_ns: int | None
) -> int | None:
    """How long to wait before the next attempt, or None when the activity is not retried."""
    if policy.maximum_attempts and attempt >= policy.maximum_attempts:
        return None
    info = failure.application_failure_info
    is_application = failure.HasField("application_failure_info")
    if is_application and (info.non_retryable or info.type in policy.non_retryable_error_types):
        return None
    delay_ns = info.next_retry_delay.ToNanoseconds() if is_application else 0
    if delay_ns > 0:
        backoff_ns = delay_ns  # the activity asked for this delay (ApplicationError)
    else:
        initial_ns = policy.initial_interval.ToNanoseconds() or _DEFAULT_INITIAL_INTERVAL_NS
        coefficient = policy.backoff_coefficient or _DEFAULT_BACKOFF
        maximum_ns = policy.maximum_interval.ToNanoseconds() or initial_ns * 100
        backoff_ns = min(int(initial_ns * coefficient ** (attempt - 1)), maximum_ns)
    if close_deadline_ns is not None and time.time_ns() + backoff_ns >= close_deadline_ns:
        return None  # the next attempt could not start before schedule-to-close
    return backoff_ns


@dataclass
class _Ended:
    """How an attempt ended, as the engine takes it."""

    request: LocalActivityRequest
    attempt: int
    original_ns: int | None
    runtime_ns: int = 0

    def resolution(
        self,
        status: _Status,
        failure: Failure | None = None,
        *,
        result: Payload | None = None,
        backoff_ns: int | None = None,
    ) -> LocalActivityResolution:
        return LocalActivityResolution(
            seq=self.request.seq,
            status=status,
            result=result,
            failure=failure,
            attempt=self.attempt,
            backoff_ns=backoff_ns,
            original_schedule_time_ns=self.original_ns,
            runtime_ns=self.runtime_ns,
        )

    def timed_out(self, kind: TimeoutType) -> LocalActivityResolution:
        return self.resolution("timed_out", _timeout_failure(kind))


def _timeout_failure(kind: TimeoutType) -> Failure:
    return Failure(
        message="Activity timed out", timeout_failure_info=TimeoutFailureInfo(timeout_type=kind)
    )


def _cancelled_failure() -> Failure:
    return Failure(message="Activity cancelled", canceled_failure_info=CanceledFailureInfo())


def _timestamp(nanos: int) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(nanos)
    return stamp


def _duration(nanos: int) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromNanoseconds(nanos)
    return duration
