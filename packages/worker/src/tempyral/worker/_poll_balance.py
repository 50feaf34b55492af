"""Which queue a workflow poll goes to: the task queue or the worker's sticky queue, by need.

A workflow worker with a sticky queue polls two queues from one budget of poll loops
(``max_concurrent_workflow_task_polls``, or the autoscaling behaviour's target). Splitting that
budget once, by ``nonsticky_to_sticky_poll_ratio``, leaves a single poll on the task queue with
the default 5 polls and ratio 0.2: with a backlog there (every workflow's first task, every task
after a sticky miss) tasks come one poll round trip at a time while four sticky polls sit idle.

So each poll loop asks :py:class:`StickyPollBalance` before every poll where to send it, in this
order (the counts are of the *other* loops):

1. Each queue keeps at least one poll: a sticky task never waits for the sticky
   schedule-to-start timeout, and new workflows are always picked up.
2. The sticky queue first when it reports more tasks waiting (the ``backlog_count_hint`` of its
   last poll response) than polls are open on it: those tasks belong to cached runs, and each one
   finished completes or advances a workflow without a history fetch.
3. Then the task queue, on the same condition.
4. Otherwise (no queue has more waiting than polled) the resting split:
   ``nonsticky_to_sticky_poll_ratio`` of the loops on the task queue (at least one), the rest on
   the sticky queue, as the ratio has always meant; but never more sticky polls than the worker
   caches runs (``sticky_runs``; still at least one). A run has at most one workflow task at a
   time, and only a cached run's tasks go to this worker's sticky queue, so sticky polls beyond
   that count can get nothing: the loops poll the task queue instead. With workflows that finish
   in their first task (nothing cached) that is four polls on the task queue instead of one with
   the defaults; a long poll parked on an empty sticky queue returns only at its timeout.

A loop only changes queue between polls, never by cancelling an open one (a cancelled long poll
can lose a task the server has just handed to it). Open polls on a queue that drained come back
with a task or at the long-poll timeout; their loops then return to the resting split.

The same facts lead the official SDKs: Go and Java choose the queue per poll (the sticky queue
while it has a backlog, else balanced), and Temporal's core SDK holds the task queue's pollers
back while the sticky backlog is above one. This module does no I/O: the poll loops
(:py:class:`~tempyral.worker._poller.TaskPoller`) call :py:meth:`StickyPollBalance.choose` and
:py:meth:`StickyPollBalance.leave`; the workflow worker's poll calls
:py:meth:`StickyPollBalance.returned` with each response's backlog.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["StickyPollBalance"]


class StickyPollBalance:
    """Spreads one worker's workflow poll loops over its task queue and its sticky queue."""

    def __init__(self, *, ratio: float, sticky_runs: Callable[[], int] | None = None) -> None:
        self._ratio = ratio
        """``nonsticky_to_sticky_poll_ratio``: the task queue's share of the resting split."""
        self._sticky_runs = sticky_runs
        """How many runs the worker caches now (each may get a sticky task); None: no cap."""
        self._loops = {False: 0, True: 0}
        """Poll loops on each queue (key: sticky), each counted from its choice until the next."""
        self._backlog = {False: 0, True: 0}
        """Tasks waiting on each queue, as its last poll response said."""
        self.on_change: Callable[[int, int], None] | None = None
        """Told ``(task queue loops, sticky queue loops)`` when the split moves (the gauge)."""

    def loops(self, *, sticky: bool) -> int:
        """How many poll loops poll the sticky queue (``sticky``) or the task queue now."""
        return self._loops[sticky]

    def choose(self, previous: bool | None) -> bool:
        """Where a loop's next poll goes (True: the sticky queue).

        ``previous``: where its last poll went (None for a new loop)."""
        if previous is not None:
            self._loops[previous] -= 1
        sticky = self._pick(normal=self._loops[False], sticky=self._loops[True])
        self._loops[sticky] += 1
        if sticky is not previous and self.on_change is not None:
            self.on_change(self._loops[False], self._loops[True])
        return sticky

    def leave(self, sticky: bool) -> None:
        """A loop whose last poll went to ``sticky``'s queue stopped."""
        self._loops[sticky] -= 1
        if self.on_change is not None:
            self.on_change(self._loops[False], self._loops[True])

    def returned(self, *, sticky: bool, backlog: int) -> None:
        """A poll of ``sticky``'s queue came back saying ``backlog`` tasks wait there.

        An empty poll (the long-poll timeout) means none wait: pass 0."""
        self._backlog[sticky] = backlog

    def _pick(self, *, normal: int, sticky: int) -> bool:
        if normal == 0:
            return False
        if sticky == 0:
            return True
        if self._backlog[True] > sticky:
            return True
        if self._backlog[False] > normal:
            return False
        loops = normal + sticky + 1
        if normal < max(1, int(loops * self._ratio)):
            return False
        return self._sticky_runs is None or sticky < max(1, self._sticky_runs())
