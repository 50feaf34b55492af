"""When a failed call is tried again, and after how long: the rules of Temporal's Rust core.

* Retryable codes: DATA_LOSS, INTERNAL, UNKNOWN, RESOURCE_EXHAUSTED, ABORTED, OUT_OF_RANGE,
  UNAVAILABLE. A RESOURCE_EXHAUSTED that says a message is too large is final.
* Delays grow exponentially from ``initial_interval`` by ``multiplier`` up to ``max_interval``,
  each scaled by a random factor in ``1 ± randomization_factor``. Retrying stops after
  ``max_retries`` attempts (0: no limit) or when the next delay would end past
  ``max_elapsed_time`` since the first attempt.
* RESOURCE_EXHAUSTED waits at least as long as a second, slower schedule (1 s doubling to 10 s),
  so a throttling server is not hammered.
* Worker task polls (PollWorkflowTaskQueue, PollActivityTaskQueue, PollNexusTaskQueue) retry
  forever on their own schedule (200 ms doubling to 10 s), also after CANCELLED and
  DEADLINE_EXCEEDED, and for their first 60 s even after non-retryable codes (proxies give odd
  codes while starting up), waiting ``max_interval`` each time.
* Long polls (task polls, updates, update-with-start, history waits for new events) get a 70 s
  deadline per attempt by default; other calls 30 s.
"""

from __future__ import annotations

import enum
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf.message import Message

from tempyral.service._config import RetryConfig
from tempyral.service._errors import RPCError, RPCStatusCode

__all__ = [
    "DEFAULT_CALL_TIMEOUT",
    "LONG_POLL_TIMEOUT",
    "CallType",
    "RetryPlan",
    "call_type",
]

LONG_POLL_TIMEOUT = 70.0
DEFAULT_CALL_TIMEOUT = 30.0
LONG_POLL_FATAL_GRACE = 60.0

RETRYABLE_CODES = frozenset(
    {
        RPCStatusCode.DATA_LOSS,
        RPCStatusCode.INTERNAL,
        RPCStatusCode.UNKNOWN,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.ABORTED,
        RPCStatusCode.OUT_OF_RANGE,
        RPCStatusCode.UNAVAILABLE,
    }
)

TASK_POLL_RETRY = RetryConfig(
    initial_interval_millis=200,
    randomization_factor=0.2,
    multiplier=2.0,
    max_interval_millis=10_000,
    max_elapsed_time_millis=None,
    max_retries=0,
)
THROTTLE_RETRY = RetryConfig(
    initial_interval_millis=1000,
    randomization_factor=0.2,
    multiplier=2.0,
    max_interval_millis=10_000,
    max_elapsed_time_millis=None,
    max_retries=0,
)

_TASK_POLLS = frozenset({"PollWorkflowTaskQueue", "PollActivityTaskQueue", "PollNexusTaskQueue"})
_USER_LONG_POLLS = frozenset(
    {"UpdateWorkflowExecution", "ExecuteMultiOperation", "PollWorkflowExecutionTimeSkipping"}
)
_TOO_LARGE = (
    "received message larger than max",
    "message after decompression larger than max",
    "received message after decompression larger than max",
)


class CallType(enum.Enum):
    """How a call is retried and what deadline it gets."""

    NORMAL = "normal"
    USER_LONG_POLL = "user_long_poll"
    """Blocks server-side until something happens (e.g. waiting for an update's result)."""
    TASK_LONG_POLL = "task_long_poll"
    """A worker polling for tasks."""

    @property
    def is_long(self) -> bool:
        return self is not CallType.NORMAL

    @property
    def default_timeout(self) -> float:
        return LONG_POLL_TIMEOUT if self.is_long else DEFAULT_CALL_TIMEOUT


def call_type(proto_method: str, request: Message) -> CallType:
    """The kind of call ``proto_method`` (e.g. ``"PollWorkflowTaskQueue"``) with ``request`` is."""
    if proto_method in _TASK_POLLS:
        return CallType.TASK_LONG_POLL
    if proto_method in _USER_LONG_POLLS:
        return CallType.USER_LONG_POLL
    if proto_method == "GetWorkflowExecutionHistory" and getattr(request, "wait_new_event", False):
        return CallType.USER_LONG_POLL
    return CallType.NORMAL


def jittered(base: float, randomization_factor: float, rand: Callable[[], float]) -> float:
    """``base`` scaled by a random factor in ``1 ± randomization_factor``."""
    if randomization_factor <= 0:
        return base
    return max(0.0, base + randomization_factor * base * (2.0 * rand() - 1.0))


@dataclass
class _Backoff:
    """An exponential schedule with jitter and an optional total time budget."""

    policy: RetryConfig
    started: float
    clock: Callable[[], float]
    rand: Callable[[], float]
    _current: float | None = None

    def next_delay(self) -> float | None:
        """Seconds to wait before the next attempt, or None when the time budget is spent."""
        initial = self.policy.initial_interval_millis / 1000
        ceiling = self.policy.max_interval_millis / 1000
        if self._current is None:
            self._current = initial
        elif self._current < ceiling:
            self._current = min(self._current * self.policy.multiplier, ceiling)
        delay = jittered(self._current, self.policy.randomization_factor, self.rand)
        budget = self.policy.max_elapsed_time_millis
        if budget is not None and (self.clock() - self.started) + delay > budget / 1000:
            return None
        return delay


class RetryPlan:
    """Decides, attempt after attempt, whether and when one call is tried again."""

    def __init__(
        self,
        policy: RetryConfig,
        kind: CallType,
        *,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.kind = kind
        self.policy = TASK_POLL_RETRY if kind is CallType.TASK_LONG_POLL else policy
        self._clock = clock
        self._started = clock()
        self._backoff = _Backoff(self.policy, self._started, clock, rand)
        self._throttle = _Backoff(THROTTLE_RETRY, self._started, clock, rand)

    def delay_after(self, attempt: int, error: RPCError) -> float | None:
        """Seconds to wait before trying again after ``attempt`` (1-based) failed, or None."""
        max_retries = self.policy.max_retries
        if max_retries > 0 and attempt >= max_retries:
            return None
        status = error.status
        if status is RPCStatusCode.RESOURCE_EXHAUSTED and any(
            marker in error.message.lower() for marker in _TOO_LARGE
        ):
            return None
        task_poll = self.kind is CallType.TASK_LONG_POLL
        poll_timeout = task_poll and status in (
            RPCStatusCode.CANCELLED,
            RPCStatusCode.DEADLINE_EXCEEDED,
        )
        if status in RETRYABLE_CODES or poll_timeout:
            delay = self._backoff.next_delay()
            if delay is not None and status is RPCStatusCode.RESOURCE_EXHAUSTED:
                delay = max(delay, self._throttle.next_delay() or 0.0)
            return delay
        if task_poll and self._clock() - self._started <= LONG_POLL_FATAL_GRACE:
            return self.policy.max_interval_millis / 1000
        return None

    def should_log(self, attempt: int) -> str | None:
        """``"warning"``/``"error"`` when a retry after ``attempt`` is worth telling, else None."""
        max_retries = self.policy.max_retries
        if max_retries == 0:
            if attempt > 15:
                return "error"
            return "warning" if attempt > 5 else None
        return "warning" if attempt * 2 >= max_retries else None
