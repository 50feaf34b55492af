"""Fixtures of the suite: a client to the server named by SUITE_TARGET, a worker per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from suite_activities import charge_card, reserve
from suite_workflows import ChildWorkflow, OrderWorkflow, ParentWorkflow, RejectingWorkflow
from temporalio.client import Client
from temporalio.worker import Worker


@pytest.fixture
async def client() -> Client:
    return await Client.connect(os.environ["SUITE_TARGET"])


@pytest.fixture
async def task_queue(client: Client) -> AsyncIterator[str]:
    queue = f"suite-{uuid.uuid4()}"
    with ThreadPoolExecutor(4) as executor:
        async with Worker(
            client,
            task_queue=queue,
            workflows=[OrderWorkflow, RejectingWorkflow, ChildWorkflow, ParentWorkflow],
            activities=[reserve, charge_card],
            activity_executor=executor,
        ):
            yield queue
