"""Schedules: what a schedule is (spec, policy, state) and :py:class:`ScheduleHandle`.

Each class converts to and from its ``temporal.api.schedule.v1`` message (``_to_proto`` /
``_from_proto``). The action lives in ``_schedule_action``; what describing and listing return
lives in ``_schedule_describe``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, cast

from tempyral.api.enums.v1 import schedule_pb2 as schedule_enums
from tempyral.api.schedule.v1 import message_pb2 as schedule_pb
from tempyral.client._helpers import NO_METADATA, _utc
from tempyral.client._inputs import RpcMetadata
from tempyral.client._schedule_action import ScheduleAction
from tempyral.client._schedule_inputs import (
    BackfillScheduleInput,
    DeleteScheduleInput,
    DescribeScheduleInput,
    PauseScheduleInput,
    TriggerScheduleInput,
    UnpauseScheduleInput,
    UpdateScheduleInput,
)

if TYPE_CHECKING:
    from tempyral.client._client import Client
    from tempyral.client._schedule_describe import (
        ScheduleDescription,
        ScheduleUpdate,
        ScheduleUpdateInput,
    )

__all__ = [
    "Schedule",
    "ScheduleBackfill",
    "ScheduleCalendarSpec",
    "ScheduleHandle",
    "ScheduleIntervalSpec",
    "ScheduleOverlapPolicy",
    "SchedulePolicy",
    "ScheduleRange",
    "ScheduleSpec",
    "ScheduleState",
]


class ScheduleHandle:
    """Handle to one schedule; get it from ``Client.create_schedule`` or ``get_schedule_handle``."""

    def __init__(self, client: Client, id: str) -> None:
        """Create a schedule handle (prefer the client's methods)."""
        self._client = client
        self.id = id

    async def backfill(
        self,
        *backfill: ScheduleBackfill,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Take the actions of past periods now, as if those times were passing.

        Raises:
            ValueError: No backfill given.
        """
        if not backfill:
            raise ValueError("At least one backfill required")
        await self._client._impl.backfill_schedule(
            BackfillScheduleInput(self.id, backfill, rpc_metadata, rpc_timeout)
        )

    async def delete(
        self, *, rpc_metadata: RpcMetadata = NO_METADATA, rpc_timeout: timedelta | None = None
    ) -> None:
        """Delete the schedule (workflows it started keep running)."""
        await self._client._impl.delete_schedule(
            DeleteScheduleInput(self.id, rpc_metadata, rpc_timeout)
        )

    async def describe(
        self, *, rpc_metadata: RpcMetadata = NO_METADATA, rpc_timeout: timedelta | None = None
    ) -> ScheduleDescription:
        """The schedule's definition and state."""
        return await self._client._impl.describe_schedule(
            DescribeScheduleInput(self.id, rpc_metadata, rpc_timeout)
        )

    async def pause(
        self,
        *,
        note: str | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Pause the schedule, with a note (default "Paused via Python SDK")."""
        await self._client._impl.pause_schedule(
            PauseScheduleInput(self.id, note, rpc_metadata, rpc_timeout)
        )

    async def trigger(
        self,
        *,
        overlap: ScheduleOverlapPolicy | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Take the schedule's action now (``overlap`` defaults to the schedule's policy)."""
        await self._client._impl.trigger_schedule(
            TriggerScheduleInput(self.id, overlap, rpc_metadata, rpc_timeout)
        )

    async def unpause(
        self,
        *,
        note: str | None = None,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Unpause the schedule, with a note (default "Unpaused via Python SDK")."""
        await self._client._impl.unpause_schedule(
            UnpauseScheduleInput(self.id, note, rpc_metadata, rpc_timeout)
        )

    async def update(
        self,
        updater: Callable[
            [ScheduleUpdateInput], ScheduleUpdate | None | Awaitable[ScheduleUpdate | None]
        ],
        *,
        rpc_metadata: RpcMetadata = NO_METADATA,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Change the schedule: ``updater`` gets the current description and returns the new
        schedule as a :py:class:`ScheduleUpdate` (or None to change nothing); it may be async."""
        await self._client._impl.update_schedule(
            UpdateScheduleInput(self.id, updater, rpc_metadata, rpc_timeout)
        )


@dataclass(frozen=True)
class ScheduleRange:
    """An inclusive range of values, with a step (``end`` defaults to ``start``, ``step`` to 1)."""

    start: int
    end: int = 0
    step: int = 0

    def __post_init__(self) -> None:
        """Default ``end`` to ``start`` and ``step`` to 1."""
        if self.end < self.start:
            object.__setattr__(self, "end", self.start)
        if self.step == 0:
            object.__setattr__(self, "step", 1)

    @staticmethod
    def _from_protos(ranges: Sequence[schedule_pb.Range]) -> Sequence[ScheduleRange]:
        return tuple(ScheduleRange(r.start, r.end, r.step) for r in ranges)

    @staticmethod
    def _to_protos(ranges: Sequence[ScheduleRange]) -> list[schedule_pb.Range]:
        return [schedule_pb.Range(start=r.start, end=r.end, step=r.step) for r in ranges]


@dataclass
class ScheduleCalendarSpec:
    """Times matching all of these fields (by default: midnight every day)."""

    second: Sequence[ScheduleRange] = (ScheduleRange(0),)
    minute: Sequence[ScheduleRange] = (ScheduleRange(0),)
    hour: Sequence[ScheduleRange] = (ScheduleRange(0),)
    day_of_month: Sequence[ScheduleRange] = (ScheduleRange(1, 31),)
    month: Sequence[ScheduleRange] = (ScheduleRange(1, 12),)
    year: Sequence[ScheduleRange] = ()
    """Years to match; empty for every year."""
    day_of_week: Sequence[ScheduleRange] = (ScheduleRange(0, 6),)
    """Days of the week, 0 being Sunday."""
    comment: str | None = None

    @staticmethod
    def _from_proto(spec: schedule_pb.StructuredCalendarSpec) -> ScheduleCalendarSpec:
        return ScheduleCalendarSpec(
            second=ScheduleRange._from_protos(spec.second),
            minute=ScheduleRange._from_protos(spec.minute),
            hour=ScheduleRange._from_protos(spec.hour),
            day_of_month=ScheduleRange._from_protos(spec.day_of_month),
            month=ScheduleRange._from_protos(spec.month),
            year=ScheduleRange._from_protos(spec.year),
            day_of_week=ScheduleRange._from_protos(spec.day_of_week),
            comment=spec.comment or None,
        )

    def _to_proto(self) -> schedule_pb.StructuredCalendarSpec:
        return schedule_pb.StructuredCalendarSpec(
            second=ScheduleRange._to_protos(self.second),
            minute=ScheduleRange._to_protos(self.minute),
            hour=ScheduleRange._to_protos(self.hour),
            day_of_month=ScheduleRange._to_protos(self.day_of_month),
            month=ScheduleRange._to_protos(self.month),
            year=ScheduleRange._to_protos(self.year),
            day_of_week=ScheduleRange._to_protos(self.day_of_week),
            comment=self.comment or "",
        )


@dataclass
class ScheduleIntervalSpec:
    """Every ``every``, shifted by ``offset`` (from the Unix epoch)."""

    every: timedelta
    offset: timedelta | None = None

    @staticmethod
    def _from_proto(spec: schedule_pb.IntervalSpec) -> ScheduleIntervalSpec:
        return ScheduleIntervalSpec(
            every=spec.interval.ToTimedelta(),
            offset=spec.phase.ToTimedelta() if spec.HasField("phase") else None,
        )

    def _to_proto(self) -> schedule_pb.IntervalSpec:
        spec = schedule_pb.IntervalSpec()
        spec.interval.FromTimedelta(self.every)
        if self.offset:
            spec.phase.FromTimedelta(self.offset)
        return spec


@dataclass
class ScheduleSpec:
    """When a schedule acts: the union of calendars, intervals and cron expressions, minus
    ``skip``, within ``start_at``..``end_at``."""

    calendars: Sequence[ScheduleCalendarSpec] = dataclasses.field(default_factory=list)
    intervals: Sequence[ScheduleIntervalSpec] = dataclasses.field(default_factory=list)
    cron_expressions: Sequence[str] = dataclasses.field(default_factory=list)
    """Cron expressions; the server turns them into calendars (describe shows those)."""
    skip: Sequence[ScheduleCalendarSpec] = dataclasses.field(default_factory=list)
    start_at: datetime | None = None
    end_at: datetime | None = None
    jitter: timedelta | None = None
    """Random delay of each action, up to this."""
    time_zone_name: str | None = None
    """IANA time zone of the calendars and cron expressions (default UTC)."""

    @staticmethod
    def _from_proto(spec: schedule_pb.ScheduleSpec) -> ScheduleSpec:
        return ScheduleSpec(
            calendars=[ScheduleCalendarSpec._from_proto(c) for c in spec.structured_calendar],
            intervals=[ScheduleIntervalSpec._from_proto(i) for i in spec.interval],
            cron_expressions=list(spec.cron_string),
            skip=[ScheduleCalendarSpec._from_proto(c) for c in spec.exclude_structured_calendar],
            start_at=_utc(spec.start_time) if spec.HasField("start_time") else None,
            end_at=_utc(spec.end_time) if spec.HasField("end_time") else None,
            jitter=spec.jitter.ToTimedelta() if spec.HasField("jitter") else None,
            time_zone_name=spec.timezone_name or None,
        )

    def _to_proto(self) -> schedule_pb.ScheduleSpec:
        spec = schedule_pb.ScheduleSpec(
            structured_calendar=[c._to_proto() for c in self.calendars],
            cron_string=list(self.cron_expressions),
            interval=[i._to_proto() for i in self.intervals],
            exclude_structured_calendar=[c._to_proto() for c in self.skip],
            timezone_name=self.time_zone_name or "",
        )
        if self.start_at:
            spec.start_time.FromDatetime(self.start_at)
        if self.end_at:
            spec.end_time.FromDatetime(self.end_at)
        if self.jitter:
            spec.jitter.FromTimedelta(self.jitter)
        return spec


class ScheduleOverlapPolicy(IntEnum):
    """What to do when an action is due while the previous one still runs."""

    SKIP = int(schedule_enums.SCHEDULE_OVERLAP_POLICY_SKIP)
    BUFFER_ONE = int(schedule_enums.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE)
    BUFFER_ALL = int(schedule_enums.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL)
    CANCEL_OTHER = int(schedule_enums.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER)
    TERMINATE_OTHER = int(schedule_enums.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER)
    ALLOW_ALL = int(schedule_enums.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL)


@dataclass
class ScheduleBackfill:
    """A past period whose actions to take now."""

    start_at: datetime
    end_at: datetime
    overlap: ScheduleOverlapPolicy | None = None

    def _to_proto(self) -> schedule_pb.BackfillRequest:
        request = schedule_pb.BackfillRequest(
            overlap_policy=cast("schedule_enums.ScheduleOverlapPolicy", int(self.overlap or 0))
        )
        request.start_time.FromDatetime(self.start_at)
        request.end_time.FromDatetime(self.end_at)
        return request


@dataclass
class SchedulePolicy:
    """How a schedule handles overlaps, missed actions and failures."""

    overlap: ScheduleOverlapPolicy = dataclasses.field(
        default_factory=lambda: ScheduleOverlapPolicy.SKIP
    )
    catchup_window: timedelta | None = None
    """How late an action may still be taken after an outage (server default: one year)."""
    pause_on_failure: bool = False

    @staticmethod
    def _from_proto(policies: schedule_pb.SchedulePolicies) -> SchedulePolicy:
        return SchedulePolicy(
            overlap=ScheduleOverlapPolicy(int(policies.overlap_policy)),
            catchup_window=(
                policies.catchup_window.ToTimedelta()
                if policies.HasField("catchup_window")
                else None
            ),
            pause_on_failure=policies.pause_on_failure,
        )

    def _to_proto(self) -> schedule_pb.SchedulePolicies:
        policies = schedule_pb.SchedulePolicies(
            overlap_policy=cast("schedule_enums.ScheduleOverlapPolicy", int(self.overlap)),
            pause_on_failure=self.pause_on_failure,
        )
        if self.catchup_window is not None:
            policies.catchup_window.FromTimedelta(self.catchup_window)
        return policies


@dataclass
class ScheduleState:
    """Whether a schedule is paused, and how many actions it may still take."""

    note: str | None = None
    paused: bool = False
    limited_actions: bool = False
    """Whether :py:attr:`remaining_actions` applies."""
    remaining_actions: int = 0

    @staticmethod
    def _from_proto(state: schedule_pb.ScheduleState) -> ScheduleState:
        return ScheduleState(
            note=state.notes or None,
            paused=state.paused,
            limited_actions=state.limited_actions,
            remaining_actions=state.remaining_actions,
        )

    def _to_proto(self) -> schedule_pb.ScheduleState:
        return schedule_pb.ScheduleState(
            notes=self.note or "",
            paused=self.paused,
            limited_actions=self.limited_actions,
            remaining_actions=self.remaining_actions,
        )


@dataclass
class Schedule:
    """A schedule: its action, when it acts, its policies and its state."""

    action: ScheduleAction
    spec: ScheduleSpec
    policy: SchedulePolicy = dataclasses.field(default_factory=SchedulePolicy)
    state: ScheduleState = dataclasses.field(default_factory=ScheduleState)

    @staticmethod
    def _from_proto(schedule: schedule_pb.Schedule) -> Schedule:
        return Schedule(
            action=ScheduleAction._from_proto(schedule.action),
            spec=ScheduleSpec._from_proto(schedule.spec),
            policy=SchedulePolicy._from_proto(schedule.policies),
            state=ScheduleState._from_proto(schedule.state),
        )

    async def _to_proto(self, client: Client) -> schedule_pb.Schedule:
        return schedule_pb.Schedule(
            spec=self.spec._to_proto(),
            action=await self.action._to_proto(client),
            policies=self.policy._to_proto(),
            state=self.state._to_proto(),
        )
