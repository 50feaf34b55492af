"""The workflow's random seed, derived exactly as the official SDKs derive it.

The seed is SipHash-1-3 (keys 0, 0) of the run id as Rust's ``Hash`` for ``str`` feeds it (the
UTF-8 bytes followed by one ``0xff`` byte). Matching it bit for bit is what makes
``workflow.random()`` and ``workflow.uuid4()`` return the same values under both SDKs.
"""

from __future__ import annotations

from tempyral.api.enums.v1.failed_cause_pb2 import WorkflowTaskFailedCause
from tempyral.api.history.v1 import message_pb2 as history_pb2
from tempyral.replay._jobs import UpdateRandomSeed

__all__ = ["randomness_seed", "reset_seed_jobs"]

_MASK = 0xFFFFFFFFFFFFFFFF


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _MASK


def _sipround(v0: int, v1: int, v2: int, v3: int) -> tuple[int, int, int, int]:
    v0 = (v0 + v1) & _MASK
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & _MASK
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & _MASK
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & _MASK
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash13(data: bytes, k0: int = 0, k1: int = 0) -> int:
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573
    length = len(data)
    end = length - length % 8
    for i in range(0, end, 8):
        m = int.from_bytes(data[i : i + 8], "little")
        v3 ^= m
        v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
        v0 ^= m
    last = int.from_bytes(data[end:], "little") | ((length & 0xFF) << 56)
    v3 ^= last
    v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
    v0 ^= last
    v2 ^= 0xFF
    for _ in range(3):
        v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def randomness_seed(run_id: str) -> int:
    """The seed the official SDKs give ``workflow.random()`` for this (original) run id."""
    return siphash13(run_id.encode() + b"\xff")


def reset_seed_jobs(event: history_pb2.HistoryEvent) -> list[UpdateRandomSeed]:
    """A task failed by a reset reseeds ``workflow.random()`` from the new run id (as Core does).

    The reset run replays the base run's events up to the reset point with the old seed; the
    code that runs after it draws from the new one, so a reset run does not repeat the values
    the base run drew after that point.
    """
    failed = event.workflow_task_failed_event_attributes
    if failed.cause != WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW:
        return []
    return [UpdateRandomSeed(randomness_seed(failed.new_run_id))]
