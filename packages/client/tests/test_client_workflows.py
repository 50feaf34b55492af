"""Workflow calls of tempyral.client against workflows hosted by the official SDK's worker.

Start options (policies, timeouts, retry, cron, memo, search attributes, metadata, priority,
start delay), signal-with-start, results across continue-as-new and retries, signals, queries,
describe, listing and counting.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from tempyral.client import (
    Client,
    WorkflowContinuedAsNewError,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from tempyral.common import (
    Priority,
    RetryPolicy,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from tempyral.exceptions import WorkflowAlreadyStartedError
from tempyral.service import RPCError, RPCStatusCode

if TYPE_CHECKING:
    from conftest import OfficialWorker

# A workflow task failing in a loop would otherwise hang a test until pytest's global timeout.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

T = TypeVar("T")

KEYWORD = SearchAttributeKey.for_keyword("TempyralKeyword")
INT = SearchAttributeKey.for_int("TempyralInt")
KEYWORD_LIST = SearchAttributeKey.for_keyword_list("TempyralKeywordList")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4()}"


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 15.0) -> T:
    """Retry ``check`` until it returns without an AssertionError (visibility lags a little)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await check()
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


# Stand-ins for the official worker's workflow classes: a typed method reference names the
# workflow after its class (or ``_tempyral_workflow_name``) and types the result.


@dataclass
class Sum:
    sum: int
    label: str


class Greeting:
    async def run(self, name: str) -> str:
        raise NotImplementedError


class MultiArgs:
    async def run(self, a: int, b: int, label: str) -> Sum:
        raise NotImplementedError


class RenamedGreeting:
    _tempyral_workflow_name = "Greeting"

    async def run(self, name: str) -> str:
        raise NotImplementedError


async def start_interactive(
    client: Client, worker: OfficialWorker, **kwargs: Any
) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        "Interactive",
        kwargs.pop("arg", []),
        id=kwargs.pop("id", new_id("interactive")),
        task_queue=worker.task_queue,
        **kwargs,
    )


# -- starting and results ------------------------------------------------------------------------


async def test_execute_workflow_by_name(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    result = await tempyral_client.execute_workflow(
        "Greeting", "tempyral", id=new_id("greeting"), task_queue=official_worker.task_queue
    )
    assert result == "Hello, tempyral!"


async def test_typed_method_references_name_the_workflow_and_type_its_result(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    tq = official_worker.task_queue
    assert await tempyral_client.execute_workflow(
        Greeting.run, "typed", id=new_id("typed"), task_queue=tq
    ) == ("Hello, typed!")
    assert await tempyral_client.execute_workflow(
        RenamedGreeting.run, "renamed", id=new_id("renamed"), task_queue=tq
    ) == ("Hello, renamed!")
    result = await tempyral_client.execute_workflow(
        MultiArgs.run, args=[1, 2, "three"], id=new_id("multi"), task_queue=tq
    )
    assert result == Sum(sum=3, label="three")


async def test_result_type_and_handles_by_id(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await tempyral_client.start_workflow(
        "MultiArgs",
        args=[5, 6, "x"],
        id=new_id("multi"),
        task_queue=official_worker.task_queue,
        result_type=Sum,
    )
    assert handle.result_run_id is not None
    assert handle.first_execution_run_id == handle.result_run_id
    assert handle.run_id is None
    assert await handle.result() == Sum(11, "x")
    # A handle by id alone decodes without a type; with one, or typed by the run method, into it.
    assert await tempyral_client.get_workflow_handle(handle.id).result() == {
        "sum": 11,
        "label": "x",
    }
    by_type = tempyral_client.get_workflow_handle(handle.id, result_type=Sum)
    assert await by_type.result() == Sum(11, "x")
    typed = tempyral_client.get_workflow_handle_for(
        MultiArgs.run, handle.id, run_id=handle.result_run_id
    )
    assert typed.run_id == handle.result_run_id
    assert await typed.result() == Sum(11, "x")


async def test_id_reuse_and_conflict_policies(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    workflow_id = new_id("policies")
    first = await start_interactive(tempyral_client, official_worker, id=workflow_id)
    # Running: the default conflict policy fails, USE_EXISTING returns the running run.
    with pytest.raises(WorkflowAlreadyStartedError) as raised:
        await start_interactive(tempyral_client, official_worker, id=workflow_id)
    assert raised.value.workflow_id == workflow_id
    assert raised.value.workflow_type == "Interactive"
    assert raised.value.run_id == first.result_run_id
    existing = await start_interactive(
        tempyral_client,
        official_worker,
        id=workflow_id,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    assert existing.result_run_id == first.result_run_id
    await first.signal("finish")
    await first.result()
    # Closed: REJECT_DUPLICATE refuses the id, the default allows a new run.
    with pytest.raises(WorkflowAlreadyStartedError):
        await start_interactive(
            tempyral_client,
            official_worker,
            id=workflow_id,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    second = await start_interactive(tempyral_client, official_worker, id=workflow_id)
    assert second.result_run_id != first.result_run_id
    await second.terminate()


async def test_start_options_reach_the_server(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await start_interactive(
        tempyral_client,
        official_worker,
        execution_timeout=timedelta(hours=2),
        run_timeout=timedelta(hours=1),
        task_timeout=timedelta(seconds=7),
        retry_policy=RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=2)),
        priority=Priority(priority_key=3),
        static_summary="the summary",
        static_details="the details\nover two lines",
        memo={"owner": "tests", "nested": {"n": 1}},
    )
    description = await handle.describe()
    config = description.raw_description.execution_config
    assert config.workflow_execution_timeout.ToTimedelta() == timedelta(hours=2)
    assert config.workflow_run_timeout.ToTimedelta() == timedelta(hours=1)
    assert config.default_workflow_task_timeout.ToTimedelta() == timedelta(seconds=7)
    assert await description.static_summary() == "the summary"
    assert await description.static_details() == "the details\nover two lines"
    assert await description.memo() == {"owner": "tests", "nested": {"n": 1}}
    assert await description.memo_value("owner") == "tests"
    assert await description.memo_value("missing", "fallback") == "fallback"
    with pytest.raises(KeyError):
        await description.memo_value("missing")
    assert description.workflow_type == "Interactive"
    assert description.task_queue == official_worker.task_queue
    assert description.run_id == handle.result_run_id
    started = (await handle.fetch_history()).events[0].workflow_execution_started_event_attributes
    assert started.retry_policy.maximum_attempts == 3
    assert started.priority.priority_key == 3
    await handle.terminate()


async def test_typed_and_legacy_search_attributes(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    typed = TypedSearchAttributes(
        [
            SearchAttributePair(KEYWORD, "typed-value"),
            SearchAttributePair(INT, 42),
            SearchAttributePair(KEYWORD_LIST, ["a", "b"]),
        ]
    )

    async def start() -> WorkflowHandle[Any, Any]:
        # The worker registered these attributes; the frontend may take a moment to see them.
        try:
            return await start_interactive(
                tempyral_client, official_worker, search_attributes=typed
            )
        except RPCError as err:
            if err.status == RPCStatusCode.INVALID_ARGUMENT:
                raise AssertionError(err.message) from err
            raise

    handle = await eventually(start)
    description = await handle.describe()
    assert description.typed_search_attributes[KEYWORD] == "typed-value"
    assert description.typed_search_attributes[INT] == 42
    assert description.typed_search_attributes[KEYWORD_LIST] == ["a", "b"]
    assert description.search_attributes["TempyralInt"] == [42]
    await handle.terminate()

    with pytest.warns(DeprecationWarning, match="deprecated"):
        legacy = await start_interactive(
            tempyral_client, official_worker, search_attributes={"TempyralKeyword": ["legacy"]}
        )
    described = await legacy.describe()
    assert described.typed_search_attributes[KEYWORD] == "legacy"
    await legacy.terminate()


async def test_start_delay_and_cron_schedule(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    before = datetime.now(timezone.utc)
    delayed = await start_interactive(
        tempyral_client, official_worker, start_delay=timedelta(minutes=10)
    )
    description = await delayed.describe()
    assert description.execution_time is not None
    assert description.execution_time >= before + timedelta(minutes=9)
    await delayed.terminate()

    cron = await tempyral_client.start_workflow(
        "Greeting",
        "cron",
        id=new_id("cron"),
        task_queue=official_worker.task_queue,
        cron_schedule="0 0 1 1 *",
    )
    history = await cron.fetch_history()
    assert history.events[0].workflow_execution_started_event_attributes.cron_schedule == (
        "0 0 1 1 *"
    )
    await cron.terminate()


async def test_signal_with_start(tempyral_client: Client, official_worker: OfficialWorker) -> None:
    workflow_id = new_id("signal-with-start")
    first = await start_interactive(
        tempyral_client,
        official_worker,
        id=workflow_id,
        arg=["initial"],
        start_signal="add",
        start_signal_args=["from-start"],
    )
    # The start signal is handled in the first workflow task, after @workflow.init.
    assert await first.query("items") == ["initial", "from-start"]
    # Running already: the signal is delivered to the same run.
    again = await start_interactive(
        tempyral_client,
        official_worker,
        id=workflow_id,
        start_signal="add",
        start_signal_args=["second"],
    )
    assert again.result_run_id == first.result_run_id
    await first.signal("finish")
    assert await first.result() == ["initial", "from-start", "second"]


# -- results across runs -------------------------------------------------------------------------


async def test_result_follows_continue_as_new(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await tempyral_client.start_workflow(
        "ContinueAsNew", args=[3, 1], id=new_id("can"), task_queue=official_worker.task_queue
    )
    assert await handle.result() == 4
    with pytest.raises(WorkflowContinuedAsNewError) as raised:
        await handle.result(follow_runs=False)
    assert raised.value.new_execution_run_id not in ("", handle.result_run_id)
    second_run = tempyral_client.get_workflow_handle(
        handle.id, run_id=raised.value.new_execution_run_id
    )
    assert await second_run.result() == 4
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED


async def test_result_follows_retries(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await tempyral_client.start_workflow(
        "Failing",
        "retry_then_succeed",
        id=new_id("retry"),
        task_queue=official_worker.task_queue,
        retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=3),
    )
    assert await handle.result() == "succeeded on attempt 2"


# -- signals, queries, cancel, terminate -------------------------------------------------------


async def test_signals_and_queries(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await start_interactive(tempyral_client, official_worker, arg=["a"])
    await handle.signal("add", "b")
    await handle.signal("add_many", args=["c", "d"])
    assert await handle.query("items") == ["a", "b", "c", "d"]
    assert await handle.query("prefixed", "p-") == ["p-a", "p-b", "p-c", "p-d"]
    description = await handle.describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    assert description.close_time is None
    await handle.signal("finish")
    assert await handle.result() == ["a", "b", "c", "d"]
    closed = await handle.describe()
    assert closed.status == WorkflowExecutionStatus.COMPLETED
    assert closed.close_time is not None
    assert closed.history_length > 0


async def test_arg_and_args_are_exclusive(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    with pytest.raises(ValueError, match="Cannot have arg and args"):
        await tempyral_client.start_workflow(
            "Greeting", "a", args=["b"], id=new_id("both"), task_queue=official_worker.task_queue
        )


async def test_cancel_and_terminate_target_the_run(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await start_interactive(tempyral_client, official_worker)
    stale = tempyral_client.get_workflow_handle(handle.id, run_id=str(uuid.uuid4()))
    with pytest.raises(RPCError) as raised:
        await stale.terminate()
    assert raised.value.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT)
    await handle.cancel(reason="tests are done")
    await eventually(lambda: _status_is(handle, WorkflowExecutionStatus.CANCELED))


async def _status_is(handle: WorkflowHandle[Any, Any], status: WorkflowExecutionStatus) -> None:
    assert (await handle.describe()).status == status


# -- history, listing, counting --------------------------------------------------------------


async def test_history_events_are_paged(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    handle = await start_interactive(tempyral_client, official_worker)
    for item in "abc":
        await handle.signal("add", item)
    await handle.signal("finish")
    await handle.result()
    history = await handle.fetch_history()
    assert history.workflow_id == handle.id
    assert history.run_id == handle.result_run_id
    ids = [event.event_id for event in history.events]
    assert ids == list(range(1, len(ids) + 1))
    pages = handle.fetch_history_events(page_size=2)
    paged = [event.event_id async for event in pages]
    assert paged == ids
    assert pages.next_page_token is None
    first_page = handle.fetch_history_events(page_size=2)
    await first_page.fetch_next_page()
    # The server pages by batches of events, so a page may hold a little more than asked.
    assert first_page.current_page is not None
    assert 2 <= len(first_page.current_page) < len(ids)
    assert first_page.next_page_token is not None


async def test_list_and_count_workflows(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    prefix = new_id("listed")
    handles = [
        await tempyral_client.start_workflow(
            "Greeting", str(i), id=f"{prefix}-{i}", task_queue=official_worker.task_queue
        )
        for i in range(3)
    ]
    for handle in handles:
        await handle.result()
    running = await start_interactive(tempyral_client, official_worker, id=f"{prefix}-running")
    query = f"WorkflowId STARTS_WITH '{prefix}'"

    async def listed() -> list[str]:
        ids = sorted([e.id async for e in tempyral_client.list_workflows(query, page_size=1)])
        assert len(ids) == 4
        return ids

    assert await eventually(listed) == sorted([h.id for h in handles] + [running.id])
    limited = [e async for e in tempyral_client.list_workflows(query, limit=2, page_size=1)]
    assert len(limited) == 2
    assert {e.workflow_type for e in limited} <= {"Greeting", "Interactive"}

    async def counted() -> None:
        total = await tempyral_client.count_workflows(query)
        assert total.count == 4
        assert not total.groups
        grouped = await tempyral_client.count_workflows(f"{query} GROUP BY ExecutionStatus")
        counts = {tuple(g.group_values): g.count for g in grouped.groups}
        assert counts == {("Completed",): 3, ("Running",): 1}

    await eventually(counted)
    histories = tempyral_client.list_workflows(f"{query} AND ExecutionStatus = 'Completed'")
    async for history in histories.map_histories():
        assert history.events[0].workflow_execution_started_event_attributes.workflow_type.name == (
            "Greeting"
        )
    await running.terminate()


# -- the client itself -------------------------------------------------------------------------


async def test_client_properties_and_metadata(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    assert tempyral_client.namespace == "default"
    assert tempyral_client.identity
    assert tempyral_client.workflow_service is tempyral_client.service_client.workflow_service
    assert tempyral_client.operator_service is tempyral_client.service_client.operator_service
    tempyral_client.rpc_metadata = {"x-tempyral-test": "yes"}
    assert tempyral_client.rpc_metadata == {"x-tempyral-test": "yes"}
    tempyral_client.api_key = None
    assert tempyral_client.api_key is None
    config = tempyral_client.config()
    assert config["namespace"] == "default"
    assert config["service_client"] is tempyral_client.service_client
    # Another client over the same connection, with its own identity-free settings.
    other = Client(tempyral_client.service_client, namespace="default")
    assert await other.execute_workflow(
        "Greeting", "again", id=new_id("other"), task_queue=official_worker.task_queue
    ) == ("Hello, again!")


async def test_connect_failure_and_lazy_connect(official_worker: OfficialWorker) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        unused = f"127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(RuntimeError, match="Failed client connect"):
        await Client.connect(unused, connect_timeout=timedelta(seconds=2))
    lazy = await Client.connect(unused, lazy=True, identity="lazy-client")
    assert lazy.identity == "lazy-client"
    good = await Client.connect(official_worker.target, lazy=True)
    assert await good.execute_workflow(
        "Greeting", "lazy", id=new_id("lazy"), task_queue=official_worker.task_queue
    ) == ("Hello, lazy!")


async def test_logging_is_silent_until_enabled(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    from loguru import logger

    messages: list[str] = []
    sink = logger.add(lambda m: messages.append(str(m).strip()), level="DEBUG", format="{message}")
    try:
        await tempyral_client.execute_workflow(
            "ContinueAsNew", args=[1, 1], id=new_id("quiet"), task_queue=official_worker.task_queue
        )
        assert messages == []
        logger.enable("tempyral")
        workflow_id = new_id("logged")
        await tempyral_client.execute_workflow(
            "ContinueAsNew", args=[1, 1], id=workflow_id, task_queue=official_worker.task_queue
        )
    finally:
        logger.disable("tempyral")
        logger.remove(sink)
    assert any(m.startswith(f"Started workflow {workflow_id}") for m in messages)
    assert any(f"Workflow {workflow_id} run" in m and "was followed by run" in m for m in messages)


async def test_versioning_override_and_eager_start_request(
    tempyral_client: Client, official_worker: OfficialWorker
) -> None:
    from tempyral.common import AutoUpgradeVersioningOverride

    handle = await start_interactive(
        tempyral_client,
        official_worker,
        versioning_override=AutoUpgradeVersioningOverride(),
        # No tempyral worker shares this client, so eager start is not asked of the server and
        # the official worker gets the first task as usual.
        request_eager_start=True,
    )
    info = (await handle.describe()).raw_description.workflow_execution_info
    assert info.versioning_info.versioning_override.auto_upgrade
    assert await handle.query("items") == []
    await handle.terminate()
