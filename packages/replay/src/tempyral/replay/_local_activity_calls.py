"""Local activities started by workflow code: the handle, the request, backoffs, resolutions.

:py:class:`LocalActivityCalls` is a collaborator of
:py:class:`~tempyral.replay._runtime.WorkflowRuntime`. As in the official SDK a local activity
shares the sequence numbers of activities, and a backoff longer than the local retry threshold
comes back as a ``backoff`` resolution: the handle sleeps that long (a timer in history) and
schedules the next attempt under a new sequence number.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.replay import _intents as i
from tempyral.replay import _jobs as j
from tempyral.replay._errors import CorruptHistoryError
from tempyral.replay._flags import LangFlag
from tempyral.replay._local_markers import LocalActivityRequest
from tempyral.replay._machines import CancellationType
from tempyral.replay._outbound import await_operation
from tempyral.workflow._activities import ActivityHandle
from tempyral.workflow._event_groups import capture_event_group_markers
from tempyral.workflow._local_activities import LocalActivityOptions

if TYPE_CHECKING:
    from tempyral.replay._runtime import WorkflowRuntime

__all__ = ["LocalActivityCalls"]

_NS = 1_000_000_000


class _Backoff(BaseException):
    """Set on the handle's future: sleep, then schedule the next attempt."""

    def __init__(self, job: j.ResolveLocalActivity) -> None:
        super().__init__("backoff")
        self.job = job


def _ns(value: Any) -> int | None:
    return None if value is None else int(value.total_seconds() * _NS)


class _LocalActivity(ActivityHandle[Any]):
    def __init__(
        self,
        runtime: WorkflowRuntime,
        options: LocalActivityOptions,
        coro: Coroutine[Any, Any, Any],
    ) -> None:
        super().__init__(coro, loop=runtime.loop, name=f"activity: {options.activity}")
        runtime.tasks.add(self)
        self.add_done_callback(runtime.tasks.discard)
        self._log_destroy_pending = False
        self._runtime = runtime
        self.seq = runtime.next_seq("activity")
        self.options = options
        self.result_fut: asyncio.Future[Any] = runtime.loop.create_future()
        self.headers: tuple[tuple[str, common_pb2.Payload], ...] = ()
        self.started = False
        self.cancel_seq: int | None = None

    def cancel(self, msg: Any | None = None) -> bool:
        if not self._runtime.deleting:
            self._runtime.assert_not_read_only("cancel activity handle")
            if not self.started and not self.done():
                self.request_cancel()
        return super().cancel(msg)

    def request_cancel(self) -> None:
        if self.cancel_seq == self.seq:
            return
        self.cancel_seq = self.seq
        self._runtime.issue(i.CancelLocalActivity(self.seq))


class LocalActivityCalls:
    """Scheduling local activities and resolving them from the worker or from markers."""

    __slots__ = ("_pending", "_runtime")

    def __init__(self, runtime: WorkflowRuntime) -> None:
        self._runtime = runtime
        self._pending: dict[int, _LocalActivity] = {}

    def start(
        self, options: LocalActivityOptions, *, headers: Mapping[str, common_pb2.Payload] = {}
    ) -> _LocalActivity:
        runtime = self._runtime
        runtime.assert_not_read_only("start local activity")
        if not options.start_to_close_timeout and not options.schedule_to_close_timeout:
            raise ValueError(
                "Activity must have start_to_close_timeout or schedule_to_close_timeout"
            )
        handle: _LocalActivity

        async def run_activity() -> Any:
            handle.started = True
            while True:
                try:
                    return await await_operation(
                        runtime,
                        handle.result_fut,
                        lambda _err: handle.request_cancel(),
                        completed_cancellation_flag=LangFlag.RAISE_ON_CANCELLING_COMPLETED_ACTIVITY,
                    )
                except _Backoff as backoff:
                    await runtime.workflow_sleep(backoff.job.backoff_ns / _NS)
                    self._schedule(handle, backoff.job)

        handle = _LocalActivity(runtime, options, run_activity())
        handle.headers = tuple(headers.items())
        self._schedule(handle, None)
        return handle

    def _schedule(self, handle: _LocalActivity, backoff: j.ResolveLocalActivity | None) -> None:
        options = self._runtime.payload_converter
        opts = handle.options
        request = LocalActivityRequest(
            seq=handle.seq,
            activity_id=opts.activity_id or str(handle.seq),
            activity_type=opts.activity,
            arguments=tuple(options.to_payloads(list(opts.args))) if opts.args else (),
            schedule_to_close_ns=_ns(opts.schedule_to_close_timeout),
            schedule_to_start_ns=_ns(opts.schedule_to_start_timeout),
            start_to_close_ns=_ns(opts.start_to_close_timeout),
            retry_policy=_retry_proto(opts.retry_policy),
            local_retry_threshold_ns=_ns(opts.local_retry_threshold),
            attempt=backoff.backoff_attempt if backoff is not None else 0,
            original_schedule_time_ns=(
                backoff.original_schedule_time_ns if backoff is not None else None
            ),
            user_metadata=_summary(opts.summary, self._runtime),
            headers=handle.headers,
            event_group_markers=tuple(capture_event_group_markers(None)),
        )
        self._pending[handle.seq] = handle
        self._runtime.issue(
            i.ScheduleLocalActivity(
                handle.seq, request, CancellationType(int(opts.cancellation_type))
            )
        )

    def resolve(self, job: j.ResolveLocalActivity) -> None:
        runtime = self._runtime
        handle = self._pending.pop(job.seq, None)
        if handle is None:
            raise RuntimeError(f"Failed finding activity handle for sequence {job.seq}")
        if job.status == "completed":
            value = None
            if job.result is not None:
                hint = [handle.options.result_type] if handle.options.result_type else None
                value = runtime.convert([job.result], hint)[0]
            handle.result_fut.set_result(value)
        elif job.status == "backoff":
            # The next attempt gets a new sequence number, as in the official SDK.
            handle.seq = runtime.next_seq("activity")
            handle.result_fut.set_exception(_Backoff(job))
            handle.result_fut = runtime.loop.create_future()
        elif handle.started:
            if job.failure is None:
                raise CorruptHistoryError(
                    f"local activity {job.seq} {job.status} without a failure"
                )
            handle.result_fut.set_exception(
                runtime.failure_converter.from_failure(job.failure, runtime.payload_converter)
            )


def _retry_proto(policy: Any) -> Any:
    if policy is None:
        return None
    from tempyral.api.common.v1 import message_pb2 as common_pb2

    proto = common_pb2.RetryPolicy()
    policy.apply_to_proto(proto)
    return proto


def _summary(summary: str | None, runtime: WorkflowRuntime) -> Any:
    if not summary:
        return None
    from tempyral.api.sdk.v1 import user_metadata_pb2

    metadata = user_metadata_pb2.UserMetadata()
    metadata.summary.CopyFrom(runtime.payload_converter.to_payloads([summary])[0])
    return metadata
