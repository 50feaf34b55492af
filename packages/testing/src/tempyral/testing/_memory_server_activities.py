"""Activities on the in-memory server: queued for workers, or run by a fake the test gave.

Each scheduled activity is an :class:`ActivityRun` moving through ``queued`` -> ``running`` ->
done, with ``backoff`` between failed attempts (a timer on the virtual clock, so retries are
skipped over like any other wait). As the official server does, ``ActivityTaskStarted`` is written
only when the activity closes, just before its close event, with the attempt that closed it.

Retries follow the activity's retry policy (defaults filled in as the server does: 1 s initial
interval, coefficient 2, maximum interval 100x the initial one, unlimited attempts); failures
marked non-retryable, types listed in ``non_retryable_error_types``, the last attempt and a
passed schedule-to-close deadline end it. Start-to-close, heartbeat and schedule-to-close
timeouts are timers too.

A fake (``env.on_activity(name, fake)``) replaces every activity of that type: the server decodes
the input with the environment's data converter, calls the fake (sync or async) and writes the
same events a worker's result would have produced.
"""

from __future__ import annotations

import asyncio
import inspect
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from google.protobuf.message import Message

from tempyral.api.common.v1.message_pb2 import ActivityType, Payloads, RetryPolicy
from tempyral.api.enums.v1 import workflow_pb2 as wf
from tempyral.api.enums.v1.workflow_pb2 import (
    TIMEOUT_TYPE_HEARTBEAT,
    TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
    TIMEOUT_TYPE_START_TO_CLOSE,
    TimeoutType,
)
from tempyral.api.failure.v1.message_pb2 import Failure, TimeoutFailureInfo
from tempyral.api.history.v1 import message_pb2 as h
from tempyral.api.workflowservice.v1.request_response_pb2 import PollActivityTaskQueueResponse
from tempyral.converter import DataConverter
from tempyral.testing._memory_server_clock import Timer
from tempyral.testing._memory_server_execution import Execution, duration, timestamp
from tempyral.testing._memory_server_queues import TaskQueues
from tempyral.testing._memory_server_state import ServerState, not_found

__all__ = ["ActivityBook", "ActivityRun"]

_TIMEOUT_NAMES: dict[int, str] = {
    TIMEOUT_TYPE_START_TO_CLOSE: "StartToClose",
    TIMEOUT_TYPE_HEARTBEAT: "Heartbeat",
    TIMEOUT_TYPE_SCHEDULE_TO_CLOSE: "ScheduleToClose",
}


@dataclass
class ActivityRun:
    """One scheduled activity of one workflow run."""

    run: Execution
    scheduled_event_id: int
    attributes: Any  # ScheduleActivityTaskCommandAttributes (defaults filled)
    scheduled_time: datetime
    state: str = "new"  # new | queued | backoff | running | done
    attempt: int = 1
    attempt_scheduled_time: datetime | None = None
    token: bytes = b""
    identity: str = ""
    cancel_requested_event_id: int = 0
    last_failure: Failure | None = None
    heartbeat_details: Payloads | None = None
    deadline: Timer | None = None  # schedule-to-close, for the whole activity
    attempt_timers: list[Timer] = field(default_factory=list)  # start-to-close, backoff
    heartbeat_timer: Timer | None = None
    fake: asyncio.Task[None] | None = None

    @property
    def activity_type(self) -> str:
        return str(self.attributes.activity_type.name)


class ActivityBook:
    """Every activity of the server, by task token and by (run, scheduled event id)."""

    def __init__(self, state: ServerState, *, converter: Callable[[], DataConverter]) -> None:
        self._state = state
        self._converter = converter
        self.queues: TaskQueues[ActivityRun] = TaskQueues()
        self.fakes: dict[str, Callable[..., Any]] = {}
        self._by_token: dict[bytes, ActivityRun] = {}
        self._by_event: dict[tuple[str, int], ActivityRun] = {}
        state.on_close.append(self._drop_run)

    # -- scheduling ---------------------------------------------------------------------------

    @staticmethod
    def fill_defaults(attributes: Any, run_timeout: timedelta | None) -> None:
        """Complete a schedule command's timeouts and retry policy as the server does."""

        def span(name: str) -> timedelta:
            return (
                attributes.__getattribute__(name).ToTimedelta()
                if attributes.HasField(name)
                else timedelta(0)
            )

        to_close = span("schedule_to_close_timeout") or run_timeout or timedelta(0)
        if to_close:
            attributes.schedule_to_close_timeout.CopyFrom(duration(to_close))
            if not span("schedule_to_start_timeout"):
                attributes.schedule_to_start_timeout.CopyFrom(duration(to_close))
            if not span("start_to_close_timeout"):
                attributes.start_to_close_timeout.CopyFrom(duration(to_close))
        policy: RetryPolicy = attributes.retry_policy
        initial = span_of(policy, "initial_interval") or timedelta(seconds=1)
        policy.initial_interval.CopyFrom(duration(initial))
        policy.backoff_coefficient = policy.backoff_coefficient or 2.0
        policy.maximum_interval.CopyFrom(
            duration(span_of(policy, "maximum_interval") or initial * 100)
        )

    def schedule(self, run: Execution, scheduled_event_id: int, attributes: Any) -> None:
        now = self._state.clock.now()
        activity = ActivityRun(run, scheduled_event_id, attributes, now, attempt_scheduled_time=now)
        self._by_event[(run.run_id, scheduled_event_id)] = activity
        to_close = span_of(attributes, "schedule_to_close_timeout")
        if to_close:
            activity.deadline = self._state.clock.call_later(
                to_close, lambda: self._time_out(activity, TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, None)
            )
        self._queue(activity)

    def request_cancel(
        self, run: Execution, scheduled_event_id: int, cancel_requested_event_id: int
    ) -> None:
        activity = self._by_event.get((run.run_id, scheduled_event_id))
        if activity is None or activity.state == "done":
            return
        activity.cancel_requested_event_id = cancel_requested_event_id
        if activity.state in ("queued", "backoff"):
            self._unqueue(activity)
            self._close_canceled(activity, None, "")
        elif activity.fake is not None:
            activity.fake.cancel()

    def _queue(self, activity: ActivityRun) -> None:
        self._set_state(activity, "queued")
        if activity.activity_type in self.fakes:
            self._start(activity, "in-process fake")
            activity.fake = asyncio.get_running_loop().create_task(self._run_fake(activity))
        else:
            self.queues[activity.attributes.task_queue.name].put(activity)
        self._state.clock.poke()

    # -- worker calls -------------------------------------------------------------------------

    def hand_out(
        self, activity: ActivityRun, identity: str
    ) -> PollActivityTaskQueueResponse | None:
        if activity.state != "queued" or not activity.run.running:
            return None
        self._start(activity, identity)
        run, attributes = activity.run, activity.attributes
        response = PollActivityTaskQueueResponse(
            task_token=activity.token,
            workflow_namespace=run.namespace,
            workflow_type=run.workflow_type,
            workflow_execution=run.execution,
            activity_type=ActivityType(name=activity.activity_type),
            activity_id=attributes.activity_id,
            header=attributes.header,
            input=attributes.input,
            scheduled_time=timestamp(activity.scheduled_time),
            current_attempt_scheduled_time=timestamp(
                activity.attempt_scheduled_time or activity.scheduled_time
            ),
            started_time=timestamp(self._state.clock.now()),
            attempt=activity.attempt,
            schedule_to_close_timeout=attributes.schedule_to_close_timeout,
            start_to_close_timeout=attributes.start_to_close_timeout,
            heartbeat_timeout=attributes.heartbeat_timeout,
            retry_policy=attributes.retry_policy,
        )
        if activity.heartbeat_details is not None:
            response.heartbeat_details.CopyFrom(activity.heartbeat_details)
        return response

    def find(self, token: bytes) -> ActivityRun:
        activity = self._by_token.get(token)
        if activity is None or activity.state != "running":
            raise not_found(
                "activity task not found (it completed, timed out, or its workflow closed)"
            )
        return activity

    def heartbeat(self, token: bytes, details: Payloads | None) -> bool:
        """Record a heartbeat; True when cancellation was requested."""
        activity = self.find(token)
        if details is not None:
            activity.heartbeat_details = details
        self._arm_heartbeat(activity)
        return activity.cancel_requested_event_id > 0

    def complete(self, token: bytes, result: Payloads | None, identity: str) -> None:
        activity = self.find(token)

        def completed(event_id: int) -> Message:
            attributes = h.ActivityTaskCompletedEventAttributes(
                scheduled_event_id=activity.scheduled_event_id,
                started_event_id=event_id - 1,
                identity=identity,
            )
            if result is not None:
                attributes.result.CopyFrom(result)
            return attributes

        self._close(activity, completed, identity)

    def fail(
        self, token: bytes, failure: Failure, identity: str, details: Payloads | None = None
    ) -> None:
        activity = self.find(token)
        if details is not None:
            activity.heartbeat_details = details
        self._fail_attempt(activity, failure, identity, timeout=None)

    def canceled(self, token: bytes, details: Payloads | None, identity: str) -> None:
        self._close_canceled(self.find(token), details, identity)

    # -- attempts and closing -----------------------------------------------------------------

    def _start(self, activity: ActivityRun, identity: str) -> None:
        self._by_token.pop(activity.token, None)
        activity.token = uuid.uuid4().bytes
        activity.identity = identity
        self._by_token[activity.token] = activity
        self._set_state(activity, "running")
        to_start = span_of(activity.attributes, "start_to_close_timeout")
        if to_start:
            activity.attempt_timers.append(
                self._state.clock.call_later(
                    to_start, self._attempt_timer(activity, TIMEOUT_TYPE_START_TO_CLOSE)
                )
            )
        self._arm_heartbeat(activity)

    def _attempt_timer(
        self, activity: ActivityRun, timeout_type: TimeoutType
    ) -> Callable[[], None]:
        token = activity.token
        return lambda: self._time_out(activity, timeout_type, token)

    def _arm_heartbeat(self, activity: ActivityRun) -> None:
        beat = span_of(activity.attributes, "heartbeat_timeout")
        if beat:
            if activity.heartbeat_timer is not None:
                activity.heartbeat_timer.cancel()
            activity.heartbeat_timer = self._state.clock.call_later(
                beat, self._attempt_timer(activity, TIMEOUT_TYPE_HEARTBEAT)
            )

    def _time_out(
        self, activity: ActivityRun, timeout_type: TimeoutType, token: bytes | None
    ) -> None:
        if activity.state == "done" or (
            token is not None and (activity.token != token or activity.state != "running")
        ):
            return
        name = _TIMEOUT_NAMES[timeout_type]
        failure = Failure(
            message=f"activity {name} timeout",
            timeout_failure_info=TimeoutFailureInfo(timeout_type=timeout_type),
        )
        if activity.heartbeat_details is not None:
            failure.timeout_failure_info.last_heartbeat_details.CopyFrom(activity.heartbeat_details)
        if activity.fake is not None:
            activity.fake.cancel()
        self._fail_attempt(activity, failure, activity.identity, timeout=timeout_type)

    def _fail_attempt(
        self,
        activity: ActivityRun,
        failure: Failure,
        identity: str,
        *,
        timeout: TimeoutType | None,
    ) -> None:
        retry_state, delay = self._retry_plan(activity, failure, timeout)
        if retry_state == wf.RETRY_STATE_IN_PROGRESS:
            activity.last_failure = failure
            activity.attempt += 1
            self._set_state(activity, "backoff")
            self._cancel_attempt_timers(activity)

            def again() -> None:
                if activity.state == "backoff" and activity.run.running:
                    activity.attempt_scheduled_time = self._state.clock.now()
                    self._queue(activity)

            activity.attempt_timers.append(self._state.clock.call_later(delay, again))
            return
        if timeout is not None:

            def closing(event_id: int) -> Message:
                attributes = h.ActivityTaskTimedOutEventAttributes(
                    failure=failure,
                    scheduled_event_id=activity.scheduled_event_id,
                    started_event_id=event_id - 1,
                    retry_state=retry_state,
                )
                return attributes
        else:

            def closing(event_id: int) -> Message:
                attributes = h.ActivityTaskFailedEventAttributes(
                    failure=failure,
                    scheduled_event_id=activity.scheduled_event_id,
                    started_event_id=event_id - 1,
                    identity=identity,
                    retry_state=retry_state,
                )
                return attributes

        self._close(activity, closing, identity)

    def _retry_plan(
        self, activity: ActivityRun, failure: Failure, timeout: TimeoutType | None
    ) -> tuple[wf.RetryState, timedelta]:
        policy = activity.attributes.retry_policy
        if timeout == TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
            return wf.RETRY_STATE_TIMEOUT, timedelta(0)
        info = (
            failure.application_failure_info
            if failure.HasField("application_failure_info")
            else None
        )
        if info is not None and (
            info.non_retryable or info.type in policy.non_retryable_error_types
        ):
            return wf.RETRY_STATE_NON_RETRYABLE_FAILURE, timedelta(0)
        if policy.maximum_attempts and activity.attempt >= policy.maximum_attempts:
            return wf.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED, timedelta(0)
        delay = span_of(policy, "initial_interval") * (
            policy.backoff_coefficient ** (activity.attempt - 1)
        )
        delay = min(delay, span_of(policy, "maximum_interval"))
        if info is not None and info.HasField("next_retry_delay"):
            delay = info.next_retry_delay.ToTimedelta()
        to_close = span_of(activity.attributes, "schedule_to_close_timeout")
        if to_close and self._state.clock.now() + delay >= activity.scheduled_time + to_close:
            return wf.RETRY_STATE_TIMEOUT, timedelta(0)
        return wf.RETRY_STATE_IN_PROGRESS, delay

    def _close_canceled(
        self, activity: ActivityRun, details: Payloads | None, identity: str
    ) -> None:
        started = activity.state == "running"

        def canceled(event_id: int) -> Message:
            attributes = h.ActivityTaskCanceledEventAttributes(
                latest_cancel_requested_event_id=activity.cancel_requested_event_id,
                scheduled_event_id=activity.scheduled_event_id,
                started_event_id=event_id - 1 if started else 0,
                identity=identity,
            )
            if details is not None:
                attributes.details.CopyFrom(details)
            return attributes

        self._close(activity, canceled, identity, started=started)

    def _close(
        self,
        activity: ActivityRun,
        closing: Callable[[int], Message],
        identity: str,
        *,
        started: bool = True,
    ) -> None:
        self._set_state(activity, "done")
        self._cancel_attempt_timers(activity, everything=True)
        self._by_token.pop(activity.token, None)
        self._by_event.pop((activity.run.run_id, activity.scheduled_event_id), None)
        specs: list[Any] = []
        if started:
            attributes = h.ActivityTaskStartedEventAttributes(
                scheduled_event_id=activity.scheduled_event_id,
                identity=activity.identity or identity,
                request_id=str(uuid.uuid4()),
                attempt=activity.attempt,
            )
            if activity.last_failure is not None:
                attributes.last_failure.CopyFrom(activity.last_failure)
            specs.append(attributes)
        specs.append(closing)
        activity.run.deliver(*specs)
        self._state.clock.poke()

    def _cancel_attempt_timers(self, activity: ActivityRun, *, everything: bool = False) -> None:
        timers = [*activity.attempt_timers, activity.heartbeat_timer]
        if everything:
            timers.append(activity.deadline)
        for timer in timers:
            if timer is not None:
                timer.cancel()
        activity.attempt_timers = []
        activity.heartbeat_timer = None

    def _unqueue(self, activity: ActivityRun) -> None:
        self.queues[activity.attributes.task_queue.name].remove(lambda item: item is activity)

    def _set_state(self, activity: ActivityRun, state: str) -> None:
        busy = ("queued", "running")
        self._state.busy_work += (state in busy) - (activity.state in busy)
        activity.state = state

    def _drop_run(self, run: Execution) -> None:
        for (run_id, _), activity in list(self._by_event.items()):
            if run_id == run.run_id:
                if activity.fake is not None:
                    activity.fake.cancel()
                self._unqueue(activity)
                self._set_state(activity, "done")
                self._cancel_attempt_timers(activity, everything=True)
                self._by_event.pop((run_id, activity.scheduled_event_id), None)
                self._by_token.pop(activity.token, None)

    # -- fakes --------------------------------------------------------------------------------

    async def _run_fake(self, activity: ActivityRun) -> None:
        fake = self.fakes[activity.activity_type]
        converter = self._converter()
        token = activity.token
        try:
            args = await converter.decode(
                list(activity.attributes.input.payloads), _parameter_hints(fake)
            )
            value = fake(*args)
            if inspect.isawaitable(value):
                value = await value
        except asyncio.CancelledError:
            if activity.state == "running" and activity.token == token:
                self._close_canceled(activity, None, activity.identity)
            return
        except Exception as err:
            if activity.state == "running" and activity.token == token:
                failure = Failure()
                await converter.encode_failure(err, failure)
                self.fail(token, failure, activity.identity)
            return
        if activity.state == "running" and activity.token == token:
            self.complete(token, await converter.encode_wrapper([value]), activity.identity)


def span_of(message: Any, name: str) -> timedelta:
    """A Duration field as a timedelta (zero when unset)."""
    return message.__getattribute__(name).ToTimedelta() if message.HasField(name) else timedelta(0)


def _parameter_hints(function: Callable[..., Any]) -> list[Any] | None:
    try:
        hints = typing.get_type_hints(function)
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError, NameError):
        return None
    return [hints.get(name, Any) for name in parameters] or None
