"""``Client.start_activity``, ``execute_activity``, ``list_activities``, ``count_activities`` and
``get_activity_handle``: activities a client starts itself, with no workflow (a mixin of
:py:class:`Client`).

The activity is named by a string or by a function decorated with ``@activity.defn`` (ours or
the official SDK's). The client sits below ``tempyral.activity``, so it reads the definition the
decorator leaves on the function rather than importing it. The ``_class`` and ``_method``
variants are in ``_standalone_activity_variants``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast, overload

from typing_extensions import TypedDict, Unpack

from tempyral.client._helpers import NO_METADATA
from tempyral.client._inputs import RpcMetadata
from tempyral.client._interceptor import OutboundInterceptor
from tempyral.client._types import (
    CallableAsyncNoParam,
    CallableAsyncSingleParam,
    CallableSyncNoParam,
    CallableSyncSingleParam,
    MultiParamSpec,
    ParamType,
    ReturnType,
)
from tempyral.common import (
    ActivityIDConflictPolicy,
    ActivityIDReusePolicy,
    Priority,
    RetryPolicy,
    TypedSearchAttributes,
    _arg_or_args,
    _arg_unset,
)

if TYPE_CHECKING:
    from tempyral.client._standalone_activity_handle import (
        ActivityExecutionAsyncIterator,
        ActivityHandle,
    )
    from tempyral.client._standalone_activity_info import ActivityExecutionCount

__all__ = [
    "_ActivityStartOptions",
    "_StandaloneActivityStartCalls",
    "activity_name_and_result_type",
]

_DEFINITION_ATTRS = ("__tempyral_activity_definition", "__temporal_activity_definition")


def activity_name_and_result_type(activity: str | Callable[..., Any]) -> tuple[str, Any]:
    """Activity type name and result type hint of a name or an ``@activity.defn`` callable.

    Raises:
        TypeError: Neither a string nor a decorated callable.
        ValueError: The callable is the dynamic activity, which has no name to start.
    """
    if isinstance(activity, str):
        return activity, None
    if not callable(activity):
        raise TypeError(f"Activity must be a string or callable, not {type(activity).__name__}")
    holders: list[Any] = [activity, getattr(activity, "__func__", None)]
    if isinstance(activity, type):
        holders.append(getattr(activity, "__call__", None))  # a callable class  # noqa: B004
    for holder in holders:
        for attr in _DEFINITION_ATTRS:
            definition = getattr(holder, attr, None)
            if definition is None:
                continue
            name = getattr(definition, "name", None)
            if not name:
                raise ValueError(
                    f"Activity {activity!r} is the dynamic activity, which has no name to start; "
                    "pass the activity type name as a string"
                )
            return str(name), getattr(definition, "ret_type", None)
    raise TypeError(
        f"Activity {getattr(activity, '__name__', activity)!r} has no activity definition: "
        "decorate it with @activity.defn, or pass the activity type name as a string"
    )


class _ActivityStartOptions(TypedDict, total=False):
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    heartbeat_timeout: timedelta | None
    id_reuse_policy: ActivityIDReusePolicy
    id_conflict_policy: ActivityIDConflictPolicy
    retry_policy: RetryPolicy | None
    search_attributes: TypedSearchAttributes | None
    summary: str | None
    priority: Priority
    start_delay: timedelta | None
    rpc_metadata: RpcMetadata
    rpc_timeout: timedelta | None


# The standalone activity classes are imported by the calls that use them: a client loads them
# with its first standalone activity call, not when it is imported.
class _StandaloneActivityStartCalls:
    _impl: OutboundInterceptor

    @overload
    async def start_activity(
        self,
        activity: CallableAsyncNoParam[ReturnType],
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity(
        self,
        activity: CallableSyncNoParam[ReturnType],
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity(
        self,
        activity: CallableAsyncSingleParam[ParamType, ReturnType],
        arg: ParamType,
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity(
        self,
        activity: CallableSyncSingleParam[ParamType, ReturnType],
        arg: ParamType,
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity(
        self,
        activity: Callable[MultiParamSpec, Awaitable[ReturnType]],
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity(
        self,
        activity: Callable[MultiParamSpec, ReturnType],
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity(
        self,
        activity: str,
        arg: Any = ...,
        *,
        args: Sequence[Any] = ...,
        id: str,
        task_queue: str,
        result_type: type | None = ...,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[Any]: ...

    async def start_activity(
        self,
        activity: str | Callable[..., Any],
        arg: Any = _arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str,
        task_queue: str,
        result_type: type | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        heartbeat_timeout: timedelta | None = None,
        id_reuse_policy: ActivityIDReusePolicy = ActivityIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: ActivityIDConflictPolicy = ActivityIDConflictPolicy.FAIL,
        retry_policy: RetryPolicy | None = None,
        search_attributes: TypedSearchAttributes | None = None,
        summary: str | None = None,
        priority: Priority = Priority.default,
        start_delay: timedelta | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> ActivityHandle[Any]:
        """Start an activity on ``task_queue`` with no workflow, and return its handle.

        Args:
            activity: Activity type name, or an ``@activity.defn`` function.
            arg: The activity's single argument.
            args: All the activity's arguments (not with ``arg``).
            id: Activity ID (unique among the namespace's standalone activities).
            task_queue: Task queue whose workers run the activity.
            result_type: Type the result is converted to (for string names).
            schedule_to_close_timeout: Time allowed from schedule to completion, retries
                included. This or ``start_to_close_timeout`` is required.
            schedule_to_start_timeout: Time an attempt may wait in the task queue.
            start_to_close_timeout: Time allowed for one attempt.
            heartbeat_timeout: Longest allowed gap between heartbeats.
            id_reuse_policy: Whether the ID may be reused after a closed activity.
            id_conflict_policy: What to do when an activity with the ID runs (default: fail;
                USE_EXISTING returns the running one's handle).
            retry_policy: Retry policy of the activity.
            search_attributes: Search attributes of the activity.
            summary: Fixed single-line summary shown by the UI/CLI.
            priority: Priority of the activity.
            start_delay: Wait this long before the first attempt (retries are not delayed).
            rpc_metadata: Headers of the call; they override the client's.
            rpc_timeout: Deadline of the call.

        Raises:
            ActivityAlreadyStartedError: The ID is taken and the policies refuse the start.
            ValueError: Neither ``start_to_close_timeout`` nor ``schedule_to_close_timeout`` is
                set, or ``start_delay`` is negative.
        """
        from tempyral.client._standalone_activity_inputs import StartActivityInput

        name, hinted_type = activity_name_and_result_type(activity)
        return await self._impl.start_activity(
            StartActivityInput(
                activity_type=name,
                args=_arg_or_args(arg, args),
                id=id,
                task_queue=task_queue,
                result_type=result_type or hinted_type,
                schedule_to_close_timeout=schedule_to_close_timeout,
                start_to_close_timeout=start_to_close_timeout,
                schedule_to_start_timeout=schedule_to_start_timeout,
                heartbeat_timeout=heartbeat_timeout,
                id_reuse_policy=id_reuse_policy,
                id_conflict_policy=id_conflict_policy,
                retry_policy=retry_policy,
                priority=priority,
                search_attributes=search_attributes,
                summary=summary,
                start_delay=start_delay,
                headers={},
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
            )
        )

    @overload
    async def execute_activity(
        self,
        activity: CallableAsyncNoParam[ReturnType],
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity(
        self,
        activity: CallableSyncNoParam[ReturnType],
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity(
        self,
        activity: CallableAsyncSingleParam[ParamType, ReturnType],
        arg: ParamType,
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity(
        self,
        activity: CallableSyncSingleParam[ParamType, ReturnType],
        arg: ParamType,
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity(
        self,
        activity: Callable[MultiParamSpec, Awaitable[ReturnType]],
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity(
        self,
        activity: Callable[MultiParamSpec, ReturnType],
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity(
        self,
        activity: str,
        arg: Any = ...,
        *,
        args: Sequence[Any] = ...,
        id: str,
        task_queue: str,
        result_type: type | None = ...,
        **options: Unpack[_ActivityStartOptions],
    ) -> Any: ...

    async def execute_activity(
        self,
        activity: str | Callable[..., Any],
        arg: Any = _arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str,
        task_queue: str,
        result_type: type | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        heartbeat_timeout: timedelta | None = None,
        id_reuse_policy: ActivityIDReusePolicy = ActivityIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: ActivityIDConflictPolicy = ActivityIDConflictPolicy.FAIL,
        retry_policy: RetryPolicy | None = None,
        search_attributes: TypedSearchAttributes | None = None,
        summary: str | None = None,
        priority: Priority = Priority.default,
        start_delay: timedelta | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        """:py:meth:`start_activity`, then wait for its result (see
        :py:meth:`ActivityHandle.result`).

        Raises:
            ActivityFailureError: The activity failed, timed out, was cancelled or terminated.
        """
        handle: ActivityHandle[Any] = await self.start_activity(
            cast(Any, activity),
            arg,
            args=args,
            id=id,
            task_queue=task_queue,
            result_type=result_type,
            schedule_to_close_timeout=schedule_to_close_timeout,
            schedule_to_start_timeout=schedule_to_start_timeout,
            start_to_close_timeout=start_to_close_timeout,
            heartbeat_timeout=heartbeat_timeout,
            id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy,
            retry_policy=retry_policy,
            search_attributes=search_attributes,
            summary=summary,
            priority=priority,
            start_delay=start_delay,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        return await handle.result()

    def list_activities(
        self,
        query: str,
        *,
        limit: int | None = None,
        page_size: int = 1000,
        next_page_token: bytes | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> ActivityExecutionAsyncIterator:
        """Iterate the standalone activities matching the visibility ``query`` (no call is made
        until the iteration starts; ``limit`` caps the entries)."""
        from tempyral.client._standalone_activity_inputs import ListActivitiesInput

        return self._impl.list_activities(
            ListActivitiesInput(
                query=query,
                page_size=page_size,
                next_page_token=next_page_token,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                limit=limit,
            )
        )

    async def count_activities(
        self,
        query: str | None = None,
        *,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> ActivityExecutionCount:
        """Count the standalone activities matching the visibility ``query`` (all without)."""
        from tempyral.client._standalone_activity_inputs import CountActivitiesInput

        return await self._impl.count_activities(
            CountActivitiesInput(query=query, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)
        )

    @overload
    def get_activity_handle(
        self, activity_id: str, *, run_id: str | None = None
    ) -> ActivityHandle[Any]: ...

    @overload
    def get_activity_handle(
        self, activity_id: str, *, run_id: str | None = None, result_type: type[ReturnType]
    ) -> ActivityHandle[ReturnType]: ...

    def get_activity_handle(
        self, activity_id: str, *, run_id: str | None = None, result_type: type | None = None
    ) -> ActivityHandle[Any]:
        """A handle to a standalone activity, as its caller (no RPC is made); without
        ``run_id`` it targets the latest run. To complete an activity from outside a worker,
        use :py:meth:`get_async_activity_handle`."""
        from tempyral.client._standalone_activity_handle import ActivityHandle

        return ActivityHandle(self, activity_id, run_id=run_id, result_type=result_type)  # type: ignore[arg-type]
