"""Importing a client and a worker stays cheap: what is needed only once a worker runs (or logs)
is imported then, not by ``import tempyral.worker``.

Not a timing test (timings on a shared machine are noise): each case lists, in a fresh
interpreter, the modules an import brought in, and checks that the heavy ones deferred on
purpose are absent; a companion case proves the check sees them once they are used.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# Deferred on purpose, each imported on first use:
DEFERRED = (
    "loguru",  # tempyral's logger is built on its first use (tempyral.common._logging)
    "importlib.metadata",  # versions reported to the server, read when first needed
    # the workflow engine proper, loaded with a worker's first workflow instance
    "tempyral.replay._instance",
    "tempyral.replay._driver",
    "tempyral.replay._runtime",
    "tempyral.replay._machines",
    # the workflow API: workflow code imports it; the engine imports it with the first instance
    "tempyral.workflow",
    # the Replayer, loaded by a replay or a worker's workflow half
    "tempyral.replay._replayer",
    "tempyral.replay._replayer_config",
    "tempyral.replay._local_markers",
    # the activity API, imported by activity code and a worker's activity half
    "tempyral.activity",
    # schedules, loaded by a client's first schedule call
    "tempyral.client._schedule",
    "tempyral.client._schedule_describe",
    # standalone activities' classes, loaded by a client's first standalone activity call
    "tempyral.client._standalone_activity_handle",
    "tempyral.client._standalone_activity_info",
    "tempyral.client._standalone_activity_inputs",
    "tempyral.client._standalone_activity_options",
    # build-id compatibility's classes, loaded by a client's first build-id call
    "tempyral.client._build_id",
    # external payload storage, loaded with the first use of its classes
    "tempyral.converter._external_storage",
    "tempyral.api.sdk.v1.external_storage_pb2",
    # the Prometheus exporter's HTTP server, imported when a Runtime is configured with one
    "http.server",
    # the inputs of schedule calls, asynchronous activity completion and update-with-start,
    # loaded by a client's first such call
    "tempyral.client._schedule_inputs",
    "tempyral.client._activity",
    "tempyral.client._async_activity_inputs",
    "tempyral.client._with_start_inputs",
    # resource-based and custom slot pools, loaded by a tuner that has such a supplier
    "tempyral.worker._resource_slots",
    "tempyral.worker._custom_slots",
    # a process pool's shared state manager is built by the caller with multiprocessing
    "multiprocessing",
    # raising in a thread: a cancelled sync activity, a deadlocked workflow
    "ctypes",
    # listing, counting and describing workflows (and the history events a result waits for)
    "tempyral.client._list",
    # the in-process metric buffer, imported by a program that builds one
    "tempyral.runtime._buffer",
    # the operator, test and health services' RPCs, added with a client's first use of them
    "tempyral.api.operatorservice.v1.service_pb2",
    "tempyral.api.testservice.v1.service_pb2",
    "tempyral.service._health",
    # protobuf JSON: history files, protobuf payloads, Nexus failures
    "google.protobuf.json_format",
)

# The halves of a worker, each loaded by a Worker given something for it to run.
NEXUS = ("tempyral.worker._nexus_worker", "tempyral.nexus", "nexusrpc")
ACTIVITIES = ("tempyral.worker._activity_worker", "tempyral.worker._activity_run")
WORKFLOWS = ("tempyral.worker._workflow_worker", "tempyral.worker._workflow_task")


def loaded_after(statements: str) -> set[str]:
    script = textwrap.dedent(
        f"""
        import json, sys
        {statements}
        print(json.dumps(sorted(sys.modules)))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_a_client_and_a_worker_leaves_the_deferred_modules_out() -> None:
    loaded = loaded_after(
        "from tempyral.client import Client\n        from tempyral.worker import Worker"
    )
    assert "tempyral.worker._worker" in loaded  # the import really happened
    assert [name for name in (*DEFERRED, *NEXUS, *ACTIVITIES, *WORKFLOWS) if name in loaded] == []


def test_a_worker_program_with_workflows_and_activities_still_defers_the_engine() -> None:
    loaded = loaded_after(
        "from tempyral import activity, workflow\n"
        "        from tempyral.client import Client\n"
        "        from tempyral.worker import Worker"
    )
    imported = {"tempyral.workflow", "tempyral.activity"}  # by the program itself
    assert imported <= loaded
    assert [name for name in DEFERRED if name in loaded and name not in imported] == []


def test_the_deferred_modules_come_with_their_first_use() -> None:
    loaded = loaded_after(
        "from tempyral.worker import Worker\n"
        "        from tempyral.common import logger\n"
        "        logger.debug('first use')\n"
        "        from tempyral.service import __version__\n"
        "        from tempyral.replay import WorkflowInstance\n"
        "        from tempyral.worker import Replayer\n"
        "        from tempyral import activity\n"
        "        import tempyral.runtime._prometheus\n"
        "        from tempyral.client import ScheduleAsyncIterator, ScheduleHandle\n"
        "        from tempyral.client import ActivityHandle, ActivityExecutionOptions\n"
        "        from tempyral.client import StartActivityInput, BuildIdOp\n"
        "        from tempyral.converter import ExternalStorage\n"
        "        from tempyral.client import CreateScheduleInput, AsyncActivityHandle\n"
        "        from tempyral.client import HeartbeatAsyncActivityInput\n"
        "        from tempyral.client import StartWorkflowUpdateWithStartInput\n"
        "        import tempyral.worker._resource_slots, tempyral.worker._custom_slots\n"
        "        import multiprocessing\n"
        "        from tempyral.worker._thread_cancel import async_exceptions_supported\n"
        "        assert async_exceptions_supported()\n"
        "        from tempyral.client import WorkflowExecutionDescription\n"
        "        from tempyral.runtime import MetricBuffer\n"
        "        from tempyral.service import HealthService, OperatorService, TestService\n"
        "        HealthService(None), OperatorService(None), TestService(None)\n"
        "        from tempyral.client import WorkflowHistory\n"
        "        WorkflowHistory.from_json('wf', {'events': []}).to_json()"
    )
    assert [name for name in DEFERRED if name not in loaded] == []


def worker_built_with(arguments: str) -> set[str]:
    """The modules loaded once ``Worker(client, task_queue='q', <arguments>)`` is built."""
    return loaded_after(
        "import asyncio\n"
        "        from datetime import timedelta\n"
        "        import nexusrpc.handler\n"
        "        from tempyral import activity, workflow\n"
        "        from tempyral.client import Client\n"
        "        from tempyral.worker import Worker\n"
        "        @activity.defn\n"
        "        async def shout(text: str) -> str:\n"
        "            return text.upper()\n"
        "        @workflow.defn\n"
        "        class Shout:\n"
        "            @workflow.run\n"
        "            async def run(self, text: str) -> str:\n"
        "                return await workflow.execute_activity(\n"
        "                    shout, text, start_to_close_timeout=timedelta(seconds=5))\n"
        "        @nexusrpc.handler.service_handler(name='Echo')\n"
        "        class Echo:\n"
        "            @nexusrpc.handler.sync_operation\n"
        "            async def echo(self, ctx: nexusrpc.handler.StartOperationContext,\n"
        "                           text: str) -> str:\n"
        "                return text\n"
        "        async def build():\n"
        "            client = await Client.connect('localhost:1', lazy=True)\n"
        f"            Worker(client, task_queue='q', {arguments})\n"
        "        asyncio.run(build())"
    )


def test_a_worker_loads_the_halves_it_is_given_something_to_run_for() -> None:
    with_activities = worker_built_with("activities=[shout]")
    assert [name for name in ACTIVITIES if name not in with_activities] == []
    assert [name for name in (*WORKFLOWS, NEXUS[0]) if name in with_activities] == []

    with_workflows = worker_built_with("workflows=[Shout]")
    assert [name for name in WORKFLOWS if name not in with_workflows] == []
    assert [name for name in (*ACTIVITIES, NEXUS[0]) if name in with_workflows] == []

    with_nexus = worker_built_with("nexus_service_handlers=[Echo()]")
    assert [name for name in NEXUS if name not in with_nexus] == []
    assert [name for name in (*ACTIVITIES, *WORKFLOWS) if name in with_nexus] == []
