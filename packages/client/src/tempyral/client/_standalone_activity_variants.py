"""``Client.start_activity_class``, ``execute_activity_class``, ``start_activity_method`` and
``execute_activity_method`` (a mixin of :py:class:`Client`).

They behave as ``start_activity`` and ``execute_activity``; only their overloads differ, so that
type checkers infer the result type of a callable class or of a method reference.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Concatenate, cast, overload

from typing_extensions import Unpack

from tempyral.client._helpers import NO_METADATA
from tempyral.client._inputs import RpcMetadata
from tempyral.client._standalone_activity_calls import (
    _ActivityStartOptions,
    _StandaloneActivityStartCalls,
)
from tempyral.client._types import (
    CallableAsyncNoParam,
    CallableAsyncSingleParam,
    CallableSyncNoParam,
    CallableSyncSingleParam,
    MethodAsyncNoParam,
    MethodAsyncSingleParam,
    MethodSyncOrAsyncNoParam,
    MethodSyncOrAsyncSingleParam,
    MultiParamSpec,
    ParamType,
    ReturnType,
    SelfType,
)
from tempyral.common import (
    ActivityIDConflictPolicy,
    ActivityIDReusePolicy,
    Priority,
    RetryPolicy,
    TypedSearchAttributes,
    _arg_unset,
)

if TYPE_CHECKING:
    # Loaded with a client's first standalone activity call, not when the client is imported.
    from tempyral.client._standalone_activity_handle import ActivityHandle

__all__ = ["_StandaloneActivityCalls"]


class _StandaloneActivityCalls(_StandaloneActivityStartCalls):
    @overload
    async def start_activity_class(
        self,
        activity: type[CallableAsyncNoParam[ReturnType]],
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity_class(
        self,
        activity: type[CallableSyncNoParam[ReturnType]],
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity_class(
        self,
        activity: type[CallableAsyncSingleParam[ParamType, ReturnType]],
        arg: ParamType,
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity_class(
        self,
        activity: type[CallableSyncSingleParam[ParamType, ReturnType]],
        arg: ParamType,
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity_class(
        self,
        activity: type[Callable[..., Awaitable[ReturnType]]],
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity_class(
        self,
        activity: type[Callable[..., ReturnType]],
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    async def start_activity_class(
        self,
        activity: type[Callable[..., Any]],
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
        """:py:meth:`start_activity` for an activity that is a callable class."""
        return await self.start_activity(
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

    @overload
    async def execute_activity_class(
        self,
        activity: type[CallableAsyncNoParam[ReturnType]],
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity_class(
        self,
        activity: type[CallableSyncNoParam[ReturnType]],
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity_class(
        self,
        activity: type[CallableAsyncSingleParam[ParamType, ReturnType]],
        arg: ParamType,
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity_class(
        self,
        activity: type[CallableSyncSingleParam[ParamType, ReturnType]],
        arg: ParamType,
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity_class(
        self,
        activity: type[Callable[..., Awaitable[ReturnType]]],
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity_class(
        self,
        activity: type[Callable[..., ReturnType]],
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    async def execute_activity_class(
        self,
        activity: type[Callable[..., Any]],
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
        """:py:meth:`execute_activity` for an activity that is a callable class."""
        return await self.execute_activity(
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

    @overload
    async def start_activity_method(
        self,
        activity: MethodAsyncNoParam[SelfType, ReturnType],
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity_method(
        self,
        activity: MethodSyncOrAsyncNoParam[SelfType, ReturnType],
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity_method(
        self,
        activity: MethodAsyncSingleParam[SelfType, ParamType, ReturnType],
        arg: ParamType,
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity_method(
        self,
        activity: MethodSyncOrAsyncSingleParam[SelfType, ParamType, ReturnType],
        arg: ParamType,
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity_method(
        self,
        activity: Callable[Concatenate[SelfType, MultiParamSpec], Awaitable[ReturnType]],
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    @overload
    async def start_activity_method(
        self,
        activity: Callable[Concatenate[SelfType, MultiParamSpec], ReturnType],
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ActivityHandle[ReturnType]: ...

    async def start_activity_method(
        self,
        activity: Callable[..., Any],
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
        """:py:meth:`start_activity` for a method reference (``MyActivities.run``)."""
        return await self.start_activity(
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

    @overload
    async def execute_activity_method(
        self,
        activity: MethodAsyncNoParam[SelfType, ReturnType],
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity_method(
        self,
        activity: MethodSyncOrAsyncNoParam[SelfType, ReturnType],
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity_method(
        self,
        activity: MethodAsyncSingleParam[SelfType, ParamType, ReturnType],
        arg: ParamType,
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity_method(
        self,
        activity: MethodSyncOrAsyncSingleParam[SelfType, ParamType, ReturnType],
        arg: ParamType,
        *,
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity_method(
        self,
        activity: Callable[Concatenate[SelfType, MultiParamSpec], Awaitable[ReturnType]],
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    @overload
    async def execute_activity_method(
        self,
        activity: Callable[Concatenate[SelfType, MultiParamSpec], ReturnType],
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str,
        **options: Unpack[_ActivityStartOptions],
    ) -> ReturnType: ...

    async def execute_activity_method(
        self,
        activity: Callable[..., Any],
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
        """:py:meth:`execute_activity` for a method reference (``MyActivities.run``)."""
        return await self.execute_activity(
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
