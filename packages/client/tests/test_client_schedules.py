"""Schedules whose action starts a workflow hosted by the official SDK's worker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, TypeVar

import pytest

from tempyral.client import (
    Client,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleCalendarSpec,
    ScheduleDescription,
    ScheduleHandle,
    ScheduleIntervalSpec,
    ScheduleListActionStartWorkflow,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from tempyral.common import RetryPolicy
from tempyral.service import RPCError, RPCStatusCode

if TYPE_CHECKING:
    from conftest import OfficialWorker

# A workflow task failing in a loop would otherwise hang a test until pytest's global timeout.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 20.0) -> T:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await check()
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


def greeting_schedule(worker: OfficialWorker, name: str, **state: object) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            "Greeting",
            name,
            id=f"scheduled-{uuid.uuid4()}",
            task_queue=worker.task_queue,
            execution_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(maximum_attempts=2),
            memo={"from": "schedule"},
            static_summary="scheduled greeting",
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=timedelta(hours=1), offset=timedelta(minutes=5))],
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(9, 17, 2)], day_of_week=[ScheduleRange(1, 5)]
                )
            ],
            cron_expressions=["30 6 * * *"],
            skip=[
                ScheduleCalendarSpec(month=[ScheduleRange(12)], day_of_month=[ScheduleRange(25)])
            ],
            jitter=timedelta(seconds=3),
            time_zone_name="Europe/Paris",
        ),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.ALLOW_ALL, catchup_window=timedelta(minutes=10)
        ),
        state=ScheduleState(note="created by tests", **state),  # type: ignore[arg-type]
    )


async def create(
    client: Client, worker: OfficialWorker, name: str, **kwargs: object
) -> ScheduleHandle:
    return await client.create_schedule(
        f"schedule-{uuid.uuid4()}",
        greeting_schedule(worker, name),
        **kwargs,  # type: ignore[arg-type]
    )


async def test_create_and_describe(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await create(tempyral_client, official_worker, "described", memo={"team": "tests"})
    description = await handle.describe()
    assert description.id == handle.id
    schedule = description.schedule
    action = schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.workflow == "Greeting"
    assert action.task_queue == official_worker.task_queue
    assert action.execution_timeout == timedelta(minutes=5)
    assert action.retry_policy is not None
    assert action.retry_policy.maximum_attempts == 2
    # Arguments and memo come back as the server's payloads; they decode to what was sent.
    converter = tempyral_client.data_converter
    assert await converter.decode(list(action.args)) == ["described"]  # type: ignore[arg-type]
    assert action.memo is not None
    assert await converter.decode([action.memo["from"]]) == ["schedule"]  # type: ignore[list-item]
    spec = schedule.spec
    assert spec.intervals == [
        ScheduleIntervalSpec(every=timedelta(hours=1), offset=timedelta(minutes=5))
    ]
    # The server turns the cron expression into a calendar.
    assert len(spec.calendars) == 2
    assert spec.calendars[0].hour == (ScheduleRange(9, 17, 2),)
    assert spec.calendars[0].day_of_week == (ScheduleRange(1, 5),)
    assert spec.calendars[1].hour == (ScheduleRange(6),)
    assert spec.calendars[1].minute == (ScheduleRange(30),)
    assert spec.skip[0].month == (ScheduleRange(12),)
    assert spec.jitter == timedelta(seconds=3)
    assert spec.time_zone_name == "Europe/Paris"
    assert schedule.policy.overlap == ScheduleOverlapPolicy.ALLOW_ALL
    assert schedule.policy.catchup_window == timedelta(minutes=10)
    assert schedule.state.note == "created by tests"
    assert not schedule.state.paused
    assert await description.memo() == {"team": "tests"}
    assert await description.memo_value("team") == "tests"
    assert description.info.next_action_times
    assert description.info.created_at <= datetime.now(timezone.utc)
    with pytest.raises(ScheduleAlreadyRunningError):
        await tempyral_client.create_schedule(handle.id, greeting_schedule(official_worker, "x"))
    await handle.delete()
    with pytest.raises(RPCError) as raised:
        await handle.describe()
    assert raised.value.status == RPCStatusCode.NOT_FOUND


async def test_trigger_starts_the_workflow(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await create(tempyral_client, official_worker, "triggered")
    await handle.trigger()

    async def started() -> ScheduleDescription:
        description = await handle.describe()
        assert description.info.num_actions == 1
        assert description.info.recent_actions
        return description

    description = await eventually(started)
    action = description.info.recent_actions[0].action
    assert isinstance(action, ScheduleActionExecutionStartWorkflow)
    workflow = tempyral_client.get_workflow_handle(action.workflow_id)
    assert await workflow.result() == "Hello, triggered!"
    assert await (await workflow.describe()).static_summary() == "scheduled greeting"
    await handle.delete()


async def test_trigger_immediately_and_backfill(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    # Only the hourly interval at :05 UTC and no jitter, so the firings a backfill window holds
    # are known exactly, whatever the time of day (the shared schedule's Paris calendar and cron
    # would add firings on some hours and days, and its jitter would move them).
    created = datetime.now(timezone.utc)
    hour = created.replace(minute=0, second=0, microsecond=0)
    schedule = greeting_schedule(official_worker, "backfilled")
    schedule.spec = ScheduleSpec(
        intervals=[ScheduleIntervalSpec(every=timedelta(hours=1), offset=timedelta(minutes=5))]
    )
    handle = await tempyral_client.create_schedule(
        f"schedule-{uuid.uuid4()}",
        schedule,
        trigger_immediately=True,
        backfill=[
            ScheduleBackfill(hour - timedelta(hours=3), hour - timedelta(hours=2, minutes=30))
        ],
    )

    async def taken(count: int) -> list[datetime]:
        actions = (await handle.describe()).info.recent_actions
        assert len(actions) == count
        return [action.scheduled_at for action in actions]

    # The immediate trigger (due now) and the one :05 of the first window, in either order.
    first = await eventually(lambda: taken(2))
    immediate = [at for at in first if at >= created - timedelta(minutes=1)]
    assert len(immediate) == 1
    assert sorted(set(first) - set(immediate)) == [hour - timedelta(hours=2, minutes=55)]

    # A later backfill runs after them, its firings in time order: the two :05s of its window.
    await handle.backfill(
        ScheduleBackfill(
            hour - timedelta(hours=6), hour - timedelta(hours=4), ScheduleOverlapPolicy.ALLOW_ALL
        )
    )
    second = await eventually(lambda: taken(4))
    assert second[:2] == first
    assert second[2:] == [
        hour - timedelta(hours=5, minutes=55),
        hour - timedelta(hours=4, minutes=55),
    ]
    with pytest.raises(ValueError, match="At least one backfill"):
        await handle.backfill()
    await handle.delete()


async def test_pause_unpause_and_update(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await create(tempyral_client, official_worker, "updated")
    await handle.pause(note="paused by tests")
    state = (await handle.describe()).schedule.state
    assert state.paused
    assert state.note == "paused by tests"
    await handle.unpause()
    state = (await handle.describe()).schedule.state
    assert not state.paused
    assert state.note == "Unpaused via Python SDK"

    seen: list[str] = []

    def update(input: ScheduleUpdateInput) -> ScheduleUpdate:
        seen.append(input.description.id)
        schedule = input.description.schedule
        schedule.spec = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(days=1))])
        schedule.state.note = "updated by tests"
        return ScheduleUpdate(schedule=schedule)

    await handle.update(update)
    assert seen == [handle.id]
    description = await handle.describe()
    assert description.schedule.spec.intervals == [ScheduleIntervalSpec(every=timedelta(days=1))]
    assert description.schedule.spec.calendars == []
    assert description.schedule.state.note == "updated by tests"
    # The action came back as payloads and was sent back unchanged: it still works.
    await handle.trigger()

    async def started() -> str:
        recent = (await handle.describe()).info.recent_actions
        assert recent
        action = recent[0].action
        assert isinstance(action, ScheduleActionExecutionStartWorkflow)
        return action.workflow_id

    workflow_id = await eventually(started)
    assert await tempyral_client.get_workflow_handle(workflow_id).result() == "Hello, updated!"

    async def no_change(input: ScheduleUpdateInput) -> None:
        return None

    await handle.update(no_change)
    assert (await handle.describe()).schedule.state.note == "updated by tests"
    await handle.delete()


async def test_list_schedules(tempyral_client: Client, official_worker: OfficialWorker) -> None:
    handle = await create(tempyral_client, official_worker, "listed", memo={"k": "v"})

    async def listed() -> None:
        found = [s async for s in await tempyral_client.list_schedules(page_size=1)]
        entry = next((s for s in found if s.id == handle.id), None)
        assert entry is not None
        assert entry.schedule is not None
        assert entry.schedule.action == ScheduleListActionStartWorkflow(workflow="Greeting")
        assert entry.schedule.state.note == "created by tests"
        assert entry.info is not None
        assert entry.info.next_action_times
        assert await entry.memo_value("k") == "v"

    await eventually(listed)
    await handle.delete()


async def test_state_validation(tempyral_client: Client, official_worker: OfficialWorker) -> None:
    with pytest.raises(ValueError, match="limited actions to true"):
        await tempyral_client.create_schedule(
            "never-created", greeting_schedule(official_worker, "x", remaining_actions=3)
        )
    with pytest.raises(ValueError, match="limited actions to false"):
        await tempyral_client.create_schedule(
            "never-created", greeting_schedule(official_worker, "x", limited_actions=True)
        )
    with pytest.raises(ValueError, match="ID required"):
        ScheduleActionStartWorkflow("Greeting", "x", task_queue="tq")
    assert ScheduleRange(3) == ScheduleRange(3, 3, 1)


async def test_search_attributes_of_schedules_and_their_workflows(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    from tempyral.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

    keyword = SearchAttributeKey.for_keyword("TempyralKeyword")
    schedule = greeting_schedule(official_worker, "attributes")
    assert isinstance(schedule.action, ScheduleActionStartWorkflow)
    schedule.action.typed_search_attributes = TypedSearchAttributes(
        [SearchAttributePair(keyword, "on-the-workflow")]
    )

    async def created() -> ScheduleHandle:
        try:
            return await tempyral_client.create_schedule(
                f"schedule-{uuid.uuid4()}",
                schedule,
                search_attributes=TypedSearchAttributes(
                    [SearchAttributePair(keyword, "on-the-schedule")]
                ),
            )
        except RPCError as err:  # the worker registered the attribute a moment ago
            raise AssertionError(err.message) from err

    handle = await eventually(created)
    description = await handle.describe()
    assert description.typed_search_attributes[keyword] == "on-the-schedule"
    action = description.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.typed_search_attributes[keyword] == "on-the-workflow"

    # An empty set removes the schedule's own attributes; the action keeps its own.
    await handle.update(
        lambda input: ScheduleUpdate(
            schedule=input.description.schedule, search_attributes=TypedSearchAttributes.empty
        )
    )

    async def removed() -> ScheduleDescription:
        # The schedule applies the change in its own workflow, a moment after the call.
        description = await handle.describe()
        assert keyword not in description.typed_search_attributes
        return description

    description = await eventually(removed)
    action = description.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.typed_search_attributes[keyword] == "on-the-workflow"
    await handle.delete()
