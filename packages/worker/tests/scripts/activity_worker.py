"""A tempyral worker process for the shutdown tests: runs ``slow_index`` on a task queue.

    python activity_worker.py --target HOST:PORT --task-queue QUEUE [--graceful-ms N]

Prints ``READY`` once polling, shuts down gracefully on SIGTERM, then prints
``COMPLETED <n>`` (activities it finished) and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import timedelta

from tempyral import activity
from tempyral.client import Client
from tempyral.worker import Worker

completed = 0


@activity.defn
async def slow_index(delay_ms: int, index: int) -> int:
    global completed  # noqa: PLW0603 - a counter for the test to read at exit
    await asyncio.sleep(delay_ms / 1000)
    completed += 1
    return index


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--graceful-ms", type=int, default=0)
    args = parser.parse_args()
    client = await Client.connect(args.target, identity="activity-worker-script")
    worker = Worker(
        client,
        task_queue=args.task_queue,
        activities=[slow_index],
        graceful_shutdown_timeout=timedelta(milliseconds=args.graceful_ms),
    )
    stopping: list[asyncio.Task[None]] = []
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(
        signal.SIGTERM, lambda: stopping.append(asyncio.create_task(worker.shutdown()))
    )
    running = asyncio.create_task(worker.run())
    for _ in range(1000):
        if worker.is_running or running.done():
            break
        await asyncio.sleep(0.01)
    print("READY", flush=True)
    await running
    print(f"COMPLETED {completed}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
