"""Task queues of the in-memory server: items wait for pollers, pollers wait for items.

A queue holds opaque items (the server decides what a workflow or activity task is). A poll takes
the oldest item, or waits until one is put; an item is handed to the longest-waiting poller. A
poll cancelled after an item reached it puts the item back in front, so cancelling a worker's
polls at shutdown never loses a task. Items can be taken back (a task whose run closed, a sticky
queue whose worker went away): ``remove`` drops them, ``drain`` empties the queue.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["TaskQueue", "TaskQueues"]

ItemT = TypeVar("ItemT")


class TaskQueue(Generic[ItemT]):
    """One named queue: FIFO items, FIFO pollers."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: deque[ItemT] = deque()
        self._pollers: deque[asyncio.Future[ItemT]] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: ItemT) -> None:
        while self._pollers:
            poller = self._pollers.popleft()
            if not poller.done():
                poller.set_result(item)
                return
        self._items.append(item)

    async def poll(self) -> ItemT:
        if self._items:
            return self._items.popleft()
        poller: asyncio.Future[ItemT] = asyncio.get_running_loop().create_future()
        self._pollers.append(poller)
        try:
            return await poller
        except asyncio.CancelledError:
            if poller.done() and not poller.cancelled():
                self._items.appendleft(poller.result())
            raise

    def remove(self, predicate: Callable[[ItemT], bool]) -> list[ItemT]:
        """Take out the waiting items ``predicate`` selects; return them."""
        taken = [item for item in self._items if predicate(item)]
        self._items = deque(item for item in self._items if not predicate(item))
        return taken

    def drain(self) -> list[ItemT]:
        taken = list(self._items)
        self._items.clear()
        return taken


class TaskQueues(Generic[ItemT]):
    """Queues by name, made on first use (as a server makes a task queue on first poll)."""

    def __init__(self) -> None:
        self._queues: dict[str, TaskQueue[ItemT]] = {}

    def __getitem__(self, name: str) -> TaskQueue[ItemT]:
        queue = self._queues.get(name)
        if queue is None:
            queue = self._queues[name] = TaskQueue(name)
        return queue

    def values(self) -> list[TaskQueue[ItemT]]:
        return list(self._queues.values())
