"""Task priority and fairness, and their mapping to the ``Priority`` proto."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tempyral.api.common.v1.message_pb2 import Priority as PriorityProto

__all__ = ["Priority"]


@dataclass(frozen=True)
class Priority:
    """Ordering of task processing when tasks are backlogged in a queue.

    Attached to workflows and activities; children and activities inherit their workflow's
    priority unless they set fields of their own. A field that is unset (``None``, zero or
    empty) means "inherit", or the server default when there is nothing to inherit from.
    Tasks are ordered by :py:attr:`priority_key` first, then balanced by
    :py:attr:`fairness_key` and :py:attr:`fairness_weight`.
    """

    priority_key: int | None = None
    """A positive integer; smaller runs sooner. The server's range defaults to 1..5 with 3 as
    the default priority.
    """

    fairness_key: str | None = None
    """A short string (max 64 bytes), such as a tenant ID, that tasks are balanced across in
    proportion to their weights. Default empty.
    """

    fairness_weight: float | None = None
    """Weight of this task's fairness key; the server clamps it to 0.001..1000. Default 1.0;
    task queue configuration overrides it.
    """

    default: ClassVar[Priority]
    """Singleton default priority instance."""

    def __post_init__(self) -> None:
        """Validate the priority key."""
        if self.priority_key is not None:
            if not isinstance(self.priority_key, int):
                raise TypeError(
                    f"priority_key must be an integer, got {type(self.priority_key).__name__}"
                )
            if self.priority_key < 1:
                raise ValueError(
                    f"priority_key must be a positive integer, got {self.priority_key}; "
                    "use None to inherit the priority"
                )

    @staticmethod
    def _from_proto(proto: PriorityProto) -> Priority:
        return Priority(
            priority_key=proto.priority_key or None,
            fairness_key=proto.fairness_key or None,
            fairness_weight=proto.fairness_weight or None,
        )

    def _to_proto(self) -> PriorityProto:
        proto = PriorityProto(priority_key=self.priority_key or 0)
        if self.fairness_key is not None:
            proto.fairness_key = self.fairness_key
        if self.fairness_weight is not None:
            proto.fairness_weight = self.fairness_weight
        return proto


Priority.default = Priority(priority_key=None, fairness_key=None, fairness_weight=None)
