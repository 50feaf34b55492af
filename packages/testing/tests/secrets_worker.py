"""The worker process of test_secrets_never_logged: a client and a worker with an API key and
mutual TLS, every log route at TRACE, through failing activities, a poisoned workflow and a task
completed by its token. Run as ``python secrets_worker.py TARGET TASK_QUEUE KEY_FILE CERT_DIR``.

The secrets come from files and arguments, never from this source: a traceback prints source
lines, and a secret written here would be this test's leak, not tempyral's.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from tempyral import activity, workflow
from tempyral.client import Client
from tempyral.common import RetryPolicy
from tempyral.exceptions import ApplicationError
from tempyral.service import RPCError, TLSConfig
from tempyral.worker import Worker

ATTEMPTS: list[int] = []
TOKENS: list[bytes] = []
TOKEN_HANDED_OVER = asyncio.Event()


@activity.defn
async def flaky(name: str) -> str:
    info = activity.info()
    ATTEMPTS.append(info.attempt)
    activity.heartbeat("working on", name)
    if info.attempt < 3:
        raise ApplicationError(f"attempt {info.attempt} fails for {name}")
    TOKENS.append(info.task_token)
    TOKEN_HANDED_OVER.set()
    activity.raise_complete_async()


@workflow.defn
class Guarded:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            flaky,
            name,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100)),
        )


@workflow.defn
class Poisoned:
    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("this workflow task always fails")


class _WithExtra(logging.Formatter):
    """Standard logging's line plus everything tempyral put in the record's extra."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{super().format(record)} extra={getattr(record, 'tempyral', None)!r}"


def log_everything() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_WithExtra("STDLIB %(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(1)

    from loguru import logger as global_loguru

    global_loguru.remove()
    # diagnose=True: a global handler that would render a traceback's variables if it had them.
    global_loguru.add(
        sys.stdout,
        level="TRACE",
        diagnose=True,
        backtrace=True,
        format="LOGURU {level} {name} {message} {extra}\n{exception}",
    )
    global_loguru.enable("tempyral")

    from tempyral.common import configure_logging

    configure_logging(level="TRACE")


async def main(target: str, task_queue: str, key_file: Path, cert_dir: Path) -> None:
    tls = TLSConfig(
        server_root_ca_cert=(cert_dir / "ca.pem").read_bytes(),
        client_cert=(cert_dir / "client.pem").read_bytes(),
        client_private_key=(cert_dir / "client.key").read_bytes(),
        domain="localhost",
    )
    client = await Client.connect(target, api_key=key_file.read_text(), tls=tls)
    async with Worker(
        client, task_queue=task_queue, workflows=[Guarded, Poisoned], activities=[flaky]
    ):
        poisoned = await client.start_workflow(
            Poisoned.run, id=f"poisoned-{uuid.uuid4()}", task_queue=task_queue
        )
        handle = await client.start_workflow(
            Guarded.run, "ada", id=f"guarded-{uuid.uuid4()}", task_queue=task_queue
        )
        await TOKEN_HANDED_OVER.wait()
        print("STAGE completing by token", flush=True)
        await client.get_async_activity_handle(task_token=TOKENS[0]).complete("done by token")
        print("STAGE completed by token", flush=True)
        print("RESULT", await handle.result(), ATTEMPTS, flush=True)
        await wait_for_a_failed_task(poisoned)
        print("STAGE a poisoned task failed", flush=True)
        await poisoned.terminate("the test is over")
        try:
            await client.get_workflow_handle(f"missing-{uuid.uuid4()}").describe()
        except RPCError as err:
            print("NOT FOUND", err.status.name, flush=True)


async def wait_for_a_failed_task(handle: Any) -> None:
    for _ in range(600):
        async for event in handle.fetch_history_events():
            if event.HasField("workflow_task_failed_event_attributes"):
                return
        await asyncio.sleep(0.1)
    raise AssertionError("the poisoned workflow's task never failed")


if __name__ == "__main__":
    log_everything()
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])))
