"""Deterministic ``workflow.wait`` and ``workflow.as_completed``.

``asyncio.wait`` and ``asyncio.as_completed`` walk their arguments as a set, whose order can change
between runs; these walk them in the order given, so the commands that follow are issued in the
same order on every replay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["as_completed", "wait"]

T = TypeVar("T")


def _futures(fs: Iterable[Awaitable[T]]) -> list[asyncio.Future[T]]:
    seen: set[int] = set()
    futures: list[asyncio.Future[T]] = []
    for f in fs:
        future = asyncio.ensure_future(f)
        if id(future) not in seen:
            seen.add(id(future))
            futures.append(future)
    return futures


async def wait(
    fs: Iterable[Awaitable[T]],
    *,
    timeout: float | None = None,
    return_when: str = asyncio.ALL_COMPLETED,
) -> tuple[list[asyncio.Future[T]], list[asyncio.Future[T]]]:
    """As ``asyncio.wait``, with (done, pending) as lists in the order the futures were given."""
    futures = _futures(fs)
    if not futures:
        raise ValueError("Set of awaitables is empty.")
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()
    counter = len(futures)

    def on_done(f: asyncio.Future[T]) -> None:
        nonlocal counter
        counter -= 1
        if (
            counter <= 0
            or return_when == asyncio.FIRST_COMPLETED
            or (
                return_when == asyncio.FIRST_EXCEPTION
                and not f.cancelled()
                and f.exception() is not None
            )
        ) and not waiter.done():
            waiter.set_result(None)

    def on_timeout() -> None:
        if not waiter.done():
            waiter.set_result(None)

    timeout_handle = loop.call_later(timeout, on_timeout) if timeout else None
    for f in futures:
        f.add_done_callback(on_done)
    try:
        if not _already(futures, return_when):
            await waiter
    finally:
        if timeout_handle is not None:
            timeout_handle.cancel()
        for f in futures:
            f.remove_done_callback(on_done)
    done = [f for f in futures if f.done()]
    return done, [f for f in futures if not f.done()]


def _already(futures: list[asyncio.Future[Any]], return_when: str) -> bool:
    done = [f for f in futures if f.done()]
    if return_when == asyncio.FIRST_COMPLETED:
        return bool(done)
    if return_when == asyncio.FIRST_EXCEPTION and any(
        not f.cancelled() and f.exception() for f in done
    ):
        return True
    return len(done) == len(futures)


def as_completed(
    fs: Iterable[Awaitable[T]], *, timeout: float | None = None
) -> Iterator[Awaitable[T]]:
    """As ``asyncio.as_completed``, deterministic: yields awaitables in completion order."""
    futures = _futures(fs)
    loop = asyncio.get_running_loop()
    done: asyncio.Queue[asyncio.Future[T] | None] = asyncio.Queue()
    remaining = set(map(id, futures))

    def on_done(f: asyncio.Future[T]) -> None:
        if id(f) in remaining:
            remaining.discard(id(f))
            done.put_nowait(f)

    def on_timeout() -> None:
        for f in futures:
            f.remove_done_callback(on_done)
        done.put_nowait(None)
        remaining.clear()

    for f in futures:
        f.add_done_callback(on_done)
    timeout_handle = (
        loop.call_later(timeout, on_timeout) if timeout is not None and futures else None
    )

    async def next_done() -> T:
        f = await done.get()
        if f is None:
            raise asyncio.TimeoutError
        if not remaining and timeout_handle is not None:
            timeout_handle.cancel()
        return f.result()

    for _ in range(len(futures)):
        yield next_done()
