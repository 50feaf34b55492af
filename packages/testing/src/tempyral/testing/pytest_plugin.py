"""pytest plugin of tempyral-testing (loaded through the ``pytest11`` entry point).

Workflow tests::

    async def test_checkout(client, workflow_worker):
        await workflow_worker(workflows=[Checkout], activities=[charge], task_queue="shop")
        assert await client.execute_workflow(Checkout.run, id="c", task_queue="shop") == "paid"

Fixtures:

* ``workflow_environment``: the test's environment: in-process by default (no server, time
  skipped), or ``--tempyral-env=local|time-skipping`` for the whole run, or
  ``@pytest.mark.tempyral_env("local")`` per test. It has ``client``, ``sleep``,
  ``get_current_time``, ``supports_time_skipping`` and (in-process) ``on_activity``.
* ``client``: its ``Client``.
* ``workflow_worker``: ``await workflow_worker(workflows=..., activities=..., task_queue=...)``
  starts a ``Worker`` that runs until the test ends; its workflows are the ones replayed.
* ``tempyral_dev_server`` / ``tempyral_target``: a dev server for the whole session (see below).

After each test (``--tempyral-no-replay-check`` turns it off), every workflow run the test made
is replayed from its history against the current code: nondeterminism fails the test with the
engine's message. ``--tempyral-history-dir=DIR`` saves those histories (one JSON file per run, a
folder per test); ``tempyral.testing.history_replay_test`` turns such a folder into replay tests.
When a test fails, its report gets a "tempyral workflows" section: each run's status, last
events and last failure, instead of a bare timeout.

Tests on ``local`` or ``time-skipping`` environments are marked ``tempyral_server``, so
``-m "not tempyral_server"`` selects the server-free ones. Override ``tempyral_dev_server_options``
(a dict of DevServer keyword arguments) in a conftest to customise the session dev server.
"""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tempyral.testing._devserver import DevServer

if TYPE_CHECKING:
    from tempyral.client import Client, WorkflowHistory
    from tempyral.testing._plugin_envs import ServerEnvironment, TestEnvironment

_MISSING_PYTEST_ASYNCIO = (
    "the tempyral fixture {fixture!r} is async and needs pytest-asyncio, which is not "
    "installed in this environment ({python}); install it with "
    "`pip install 'pytest-asyncio>=0.25,<2'` (tempyral-testing depends on it: a "
    "`pip install --no-deps` or a later uninstall left it out)"
)


def _needs_pytest_asyncio(function: Callable[..., Any]) -> Any:
    """Without pytest-asyncio, a fixture of the same name that fails with what to install
    (instead of pytest's generic complaint about an unhandled coroutine)."""
    name = function.__name__

    def missing_pytest_asyncio() -> None:
        pytest.fail(
            _MISSING_PYTEST_ASYNCIO.format(fixture=name, python=sys.executable), pytrace=False
        )

    missing_pytest_asyncio.__doc__ = function.__doc__
    return pytest.fixture(name=name)(missing_pytest_asyncio)


_async_fixture: Callable[[Callable[..., Any]], Any]
try:  # async fixtures need pytest-asyncio; its decorator also works in its strict mode
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # the plugin still loads: only tests that use its fixtures fail
    _async_fixture = _needs_pytest_asyncio

_CALL_REPORT = pytest.StashKey[pytest.TestReport]()
_ENV_KINDS = ("in-process", "local", "time-skipping")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_MAX_FOLLOWED_RUNS = 200


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tempyral", "tempyral workflow tests")
    group.addoption(
        "--tempyral-env",
        choices=_ENV_KINDS,
        default="in-process",
        help="environment of the workflow_environment/client fixtures (default: in-process)",
    )
    group.addoption(
        "--tempyral-no-replay-check",
        action="store_true",
        default=False,
        help="do not replay each test's workflows against the current code after the test",
    )
    group.addoption(
        "--tempyral-history-dir",
        default=None,
        metavar="DIR",
        help="write the history of each workflow run of each test to DIR (JSON, a folder per test)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "tempyral_env(kind): the environment of this test's workflow_environment "
        "(in-process, local or time-skipping)",
    )
    config.addinivalue_line(
        "markers", "tempyral_server: the test runs its workflows on a real Temporal server"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        uses_environment = "workflow_environment" in getattr(item, "fixturenames", ())
        if uses_environment and _kind_for(item, config) != "in-process":
            item.add_marker(pytest.mark.tempyral_server)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


def _kind_for(item: pytest.Item, config: pytest.Config) -> str:
    marker = item.get_closest_marker("tempyral_env")
    if marker is None:
        return str(config.getoption("--tempyral-env"))
    kind = marker.args[0] if marker.args else marker.kwargs.get("kind")
    if kind not in _ENV_KINDS:
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.tempyral_env({kind!r}) is not an environment; use one "
            f"of {', '.join(_ENV_KINDS)}"
        )
    return str(kind)


# -- the session dev server (DevServer) ------------------------------------------------------


@pytest.fixture(scope="session")
def tempyral_dev_server_options() -> dict[str, Any]:
    """Keyword arguments for the session's DevServer; override to customise it."""
    return {}


@pytest.fixture(scope="session")
def tempyral_dev_server(tempyral_dev_server_options: dict[str, Any]) -> Iterator[DevServer]:
    """A Temporal dev server running for the whole test session."""
    with DevServer(**tempyral_dev_server_options) as server:
        yield server


@pytest.fixture(scope="session")
def tempyral_target(tempyral_dev_server: DevServer) -> str:
    """``host:port`` of the session's dev server."""
    return tempyral_dev_server.target


# -- workflow environments --------------------------------------------------------------------


@pytest.fixture(scope="session")
def _tempyral_server_environments() -> Iterator[dict[str, ServerEnvironment]]:
    from tempyral.testing._plugin_envs import ServerEnvironment

    environments = {kind: ServerEnvironment(kind) for kind in ("local", "time-skipping")}
    yield environments
    for environment in environments.values():
        environment.close()


@_async_fixture
async def workflow_environment(
    request: pytest.FixtureRequest,
    _tempyral_server_environments: dict[str, ServerEnvironment],
) -> AsyncIterator[TestEnvironment]:
    """The test's workflow environment (in-process unless asked otherwise)."""
    from tempyral.client import Client
    from tempyral.testing._in_process import start_in_process
    from tempyral.testing._plugin_envs import StartRecorder, TestEnvironment

    kind = _kind_for(request.node, request.config)
    recorder = StartRecorder()
    server = None
    if kind == "in-process":
        env: Any = await start_in_process()
    else:
        server = _tempyral_server_environments[kind]
        env = server.get()
    base: Client = env.client
    # The environment's own interceptors stay (the time-skipping one unlocks the test server's
    # clock while a result is awaited); the recorder is added after them.
    client = Client(
        base.service_client,
        namespace=base.namespace,
        data_converter=base.data_converter,
        interceptors=[*base.config()["interceptors"], recorder],
    )
    environment = TestEnvironment(kind, env, client, recorder, server)
    try:
        yield environment
    finally:
        try:
            await _after_test(request, environment)
        finally:
            if kind == "in-process":
                await env.shutdown()


@pytest.fixture
def client(workflow_environment: TestEnvironment) -> Client:
    """The ``Client`` of the test's workflow environment."""
    return workflow_environment.client


@_async_fixture
async def workflow_worker(
    workflow_environment: TestEnvironment,
) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``await workflow_worker(workflows=[...], activities=[...], task_queue=...)``: a running
    Worker on the test's client until the test ends (task queue: a fresh one if not given)."""
    from tempyral.worker import Worker

    running: list[Worker] = []

    async def start(
        *, workflows: Sequence[type] = (), activities: Sequence[Any] = (), **options: Any
    ) -> Worker:
        options.setdefault("task_queue", f"tempyral-test-{uuid.uuid4().hex[:12]}")
        # A fixed build id spares hashing every loaded module (~1 s once per process).
        options.setdefault("build_id", "tempyral-pytest")
        worker = Worker(
            workflow_environment.client, workflows=workflows, activities=activities, **options
        )
        await worker.__aenter__()
        running.append(worker)
        workflow_environment.workflows.extend(workflows)
        return worker

    try:
        yield start
    finally:
        for worker in reversed(running):
            await worker.__aexit__(None, None, None)


async def _after_test(request: pytest.FixtureRequest, environment: TestEnvironment) -> None:
    from tempyral.testing._plugin_replay import (
        describe_failures,
        replay_failures,
        write_histories,
    )
    from tempyral.testing._plugin_report import summarize

    histories = await _histories(environment)
    config = request.config
    history_dir = config.getoption("--tempyral-history-dir")
    if history_dir:
        folder = Path(history_dir) / _UNSAFE.sub("_", request.node.nodeid)
        write_histories(histories, folder)
    call = request.node.stash.get(_CALL_REPORT, None)
    if call is not None and call.failed:
        call.sections.append(("tempyral workflows", summarize(histories)))
        return
    if config.getoption("--tempyral-no-replay-check"):
        return
    failures = replay_failures(
        histories, environment.workflows, data_converter=environment.client.data_converter
    )
    if failures:
        pytest.fail(describe_failures(failures), pytrace=False)


async def _histories(environment: TestEnvironment) -> list[WorkflowHistory]:
    """Every run of the test: all of the in-memory server's, or those reachable from the
    workflows the test's client started (continued runs and children followed)."""
    histories = getattr(environment.env, "workflow_histories", None)
    if environment.kind == "in-process" and histories is not None:
        found: list[WorkflowHistory] = histories()
        return found
    client = environment.client
    pending = list(environment.recorder.started)
    seen: set[tuple[str, str]] = set()
    collected: list[WorkflowHistory] = []
    while pending and len(seen) < _MAX_FOLLOWED_RUNS:
        workflow_id, run_id = pending.pop(0)
        if (workflow_id, run_id) in seen:
            continue
        seen.add((workflow_id, run_id))
        history = await client.get_workflow_handle(
            workflow_id, run_id=run_id or None
        ).fetch_history()
        collected.append(history)
        for event in history.events:
            if event.HasField("child_workflow_execution_started_event_attributes"):
                child = event.child_workflow_execution_started_event_attributes.workflow_execution
                pending.append((child.workflow_id, child.run_id))
            if event.HasField("workflow_execution_continued_as_new_event_attributes"):
                next_run = event.workflow_execution_continued_as_new_event_attributes
                pending.append((workflow_id, next_run.new_execution_run_id))
    return collected
