"""What a Nexus operation handler adds to the starts it makes (the worker's narrow hook).

A Nexus operation backed by a workflow (an update, or a standalone activity) completes its
caller when that ends: it is started with a completion callback (the caller's URL and
headers), the Nexus request ID and links back to the caller, and the start's response gives a
link to it for the Nexus response. The official SDK's client reads these from its Nexus
module's context; tempyral's client sits below the worker that runs Nexus handlers, so the
worker installs a :py:class:`StartWorkflowHook` in :py:data:`start_workflow_hook` around each
operation handler, and the client's workflow, update and standalone activity starts (and its
signals and queries, for their links) consult it. Outside a Nexus handler the variable is
unset and the client's calls are unchanged.

Like ``tempyral.activity.runtime``, this module is for tempyral's worker, not for user code;
:py:class:`Callback` is public as ``tempyral.client.Callback``, the official name.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tempyral.api.workflowservice.v1 import request_response_pb2 as ws

if TYPE_CHECKING:
    from tempyral.client._handle import WorkflowHandle

__all__ = ["Callback", "StartWorkflowHook", "start_workflow_hook"]


@dataclass(frozen=True)
class Callback:
    """Nexus callback to attach to events such as workflow completion."""

    url: str
    """Callback URL."""

    headers: Mapping[str, str]
    """Header to attach to callback request."""


class StartWorkflowHook(Protocol):
    """Called by :py:meth:`Client.start_workflow` while a Nexus operation handler runs."""

    def before_start(self, request: ws.StartWorkflowExecutionRequest) -> None:
        """Add links (and, for the workflow backing the operation, callbacks) to a start."""

    def before_signal_with_start(self, request: ws.SignalWithStartWorkflowExecutionRequest) -> None:
        """Add links to a signal-with-start."""

    def after_start(self, handle: WorkflowHandle[Any, Any]) -> None:
        """Read the started workflow's link from ``handle``'s start response."""

    def before_signal(self, request: ws.SignalWorkflowExecutionRequest) -> None:
        """Add links back to the caller to a signal."""

    def after_signal(self, response: ws.SignalWorkflowExecutionResponse) -> None:
        """Read the signal's link from its response."""

    def after_query(self, response: ws.QueryWorkflowResponse) -> None:
        """Read the query's link from its response."""

    def before_start_update(self, request: ws.UpdateWorkflowExecutionRequest) -> None:
        """Add the request ID, links and callbacks to the update backing the operation."""

    def after_start_update(self, response: ws.UpdateWorkflowExecutionResponse) -> None:
        """Read the update's link from its response."""

    def before_start_activity(self, request: ws.StartActivityExecutionRequest) -> None:
        """Add the request ID, links (and, for the activity backing the operation, callbacks)
        to a standalone activity's start."""

    def after_start_activity(
        self, activity_id: str, response: ws.StartActivityExecutionResponse
    ) -> None:
        """Read the started activity's link from its start response."""


start_workflow_hook: ContextVar[StartWorkflowHook | None] = ContextVar(
    "tempyral_nexus_start_workflow_hook", default=None
)
"""The hook of the Nexus operation handler running in this context, if any."""
