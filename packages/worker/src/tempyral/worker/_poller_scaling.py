"""How many polls of one kind to keep open: fixed, or scaled on what the polls bring back.

In the spirit of Temporal's core SDK, with its rules kept simple: a poll that brings a task
means work is waiting, so one more poller is wanted; a poll that comes back empty (the server's
long-poll timeout) means the queue is idle, so one fewer. When the server attaches a
``poller_scaling_decision`` to a poll, its suggested delta is followed instead. The target
always stays between ``minimum`` and ``maximum``; pollers above it stop after their poll, and
:py:class:`~tempyral.worker._poller.TaskPoller` starts new ones up to it.
"""

from __future__ import annotations

from typing import Any

from tempyral.worker._config import PollerBehavior, PollerBehaviorAutoscaling

__all__ = ["PollerScaler"]


class PollerScaler:
    """The target number of open polls, moved by each poll's outcome."""

    def __init__(self, *, minimum: int, maximum: int, initial: int) -> None:
        if not 1 <= minimum <= initial <= maximum:
            raise ValueError(
                f"pollers need 1 <= minimum <= initial <= maximum, got minimum={minimum}, "
                f"initial={initial}, maximum={maximum}"
            )
        self.minimum = minimum
        self.maximum = maximum
        self.target = initial

    @classmethod
    def fixed(cls, count: int) -> PollerScaler:
        """Always ``count`` polls."""
        if count < 1:
            raise ValueError(f"at least one poller is needed, got {count}")
        return cls(minimum=count, maximum=count, initial=count)

    @classmethod
    def for_behavior(cls, behavior: PollerBehavior) -> PollerScaler:
        if isinstance(behavior, PollerBehaviorAutoscaling):
            return cls(minimum=behavior.minimum, maximum=behavior.maximum, initial=behavior.initial)
        return cls.fixed(behavior.maximum)

    @property
    def scales(self) -> bool:
        return self.minimum < self.maximum

    def observe(self, response: Any, *, has_task: bool) -> None:
        """A poll returned ``response`` (``has_task``: it carried a task)."""
        if not self.scales:
            return
        delta = _suggested_delta(response)
        if delta is None:
            delta = 1 if has_task else -1
        self.target = max(self.minimum, min(self.maximum, self.target + delta))


def _suggested_delta(response: Any) -> int | None:
    """The server's suggestion carried by a poll response, if any."""
    has_field = getattr(response, "HasField", None)
    try:
        if has_field is None or not has_field("poller_scaling_decision"):
            return None
    except ValueError:  # a response type without the field
        return None
    delta: int = response.poller_scaling_decision.poll_request_delta_suggestion
    return delta or None
