"""Serialization contexts: which workflow, activity or Nexus operation a payload belongs to.

Converters and codecs that implement :py:class:`WithSerializationContext` are replaced, for
each conversion, by the result of ``with_context(context)``, so they can (for example) pick an
encryption key per workflow.
"""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass

from typing_extensions import Self

__all__ = [
    "ActivitySerializationContext",
    "NexusSerializationContext",
    "SerializationContext",
    "WithSerializationContext",
    "WorkflowSerializationContext",
]


class SerializationContext(ABC):  # noqa: B024 - a marker base with no abstract methods
    """Base serialization context.

    In a client, payloads to and from a workflow (start, signal, query, update, result and
    failure) get a :py:class:`WorkflowSerializationContext` of the target workflow. In a
    workflow, payloads of a child workflow get the child's workflow context, payloads of an
    activity get an :py:class:`ActivitySerializationContext`, and Nexus operation payloads get
    a :py:class:`NexusSerializationContext`.
    """


@dataclass(frozen=True)
class WorkflowSerializationContext(SerializationContext):
    """Serialization context for workflows."""

    namespace: str
    """The namespace the workflow is running in."""

    workflow_id: str
    """ID of the workflow whose input or output the payload is. For schedules this may be the
    configured workflow ID prefix.
    """


@dataclass(frozen=True)
class ActivitySerializationContext(SerializationContext):
    """Serialization context for activities."""

    namespace: str
    """Workflow/activity namespace."""

    activity_id: str | None
    """Activity ID; optional for an activity started from a workflow."""

    activity_type: str | None
    """Activity type. Deprecated: not set in some bidirectional situations."""

    activity_task_queue: str | None
    """Activity task queue. Deprecated: not set in some bidirectional situations."""

    workflow_id: str | None
    """Workflow ID, only for an activity started from a workflow."""

    workflow_type: str | None
    """Workflow type, only for an activity started from a workflow."""

    is_local: bool
    """Whether the activity is a local activity started from a workflow."""


@dataclass(frozen=True)
class NexusSerializationContext(SerializationContext):
    """Serialization context for Nexus operation payloads.

    Contextual encodings must be self-describing: some operation paths decode without context.

    .. warning::
        This API is experimental and unstable.
    """

    endpoint: str
    """Nexus endpoint name."""

    service: str
    """Nexus service name."""

    operation: str
    """Nexus operation name."""


class WithSerializationContext(ABC):  # noqa: B024 - implementers override with_context only
    """Implemented by payload converters, codecs and failure converters that use a context."""

    def with_context(self, context: SerializationContext) -> Self:
        """Return a copy of this object configured to use the given context."""
        raise NotImplementedError(
            f"{type(self).__name__} derives from WithSerializationContext but does not "
            "override with_context"
        )
