"""Links between a Nexus operation's caller and what its handler started, as Nexus sees them.

Temporal links (``temporal.api.common.v1.Link``) travel in Nexus requests and responses as
``nexusrpc.Link`` s: the link's message type as ``type`` and a ``temporal://`` URL naming it,
``temporal:///namespaces/{ns}/workflows/{workflow_id}/{run_id}/history?...`` for a workflow
event, ``.../activities/{activity_id}/{run_id}/details`` for an activity (the same URLs as the
official SDKs, so the UI can follow them both ways). Workflow-event links (what a workflow
caller sends and a workflow-run operation answers) and activity links (what an activity-backed
operation answers) are carried; other kinds are passed over with a warning, as the official SDK
does with links it cannot read.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from typing import cast

import nexusrpc

from tempyral.api.common.v1.message_pb2 import Link
from tempyral.api.enums.v1.event_type_pb2 import EventType

__all__ = ["nexus_link_to_temporal_link", "temporal_link_to_nexus_link"]

_log = logging.getLogger("tempyral.nexus")

# The type names are the official protobuf package's, not tempyral's renamed one.
WORKFLOW_EVENT_TYPE = "temporal.api.common.v1.Link.WorkflowEvent"
ACTIVITY_TYPE = "temporal.api.common.v1.Link.Activity"
_PATH = re.compile(r"^/namespaces/(?P<ns>[^/]+)/workflows/(?P<wid>[^/]+)/(?P<rid>[^/]+)/history$")
_ACTIVITY_PATH = re.compile(
    r"^/namespaces/(?P<ns>[^/]+)/activities/(?P<aid>[^/]+)/(?P<rid>[^/]+)/details$"
)


def _quoted(*parts: str) -> list[str]:
    return [urllib.parse.quote(part, safe="") for part in parts]


_EVENT_REFERENCE = "EventReference"
_REQUEST_ID_REFERENCE = "RequestIdReference"


def _event_type_param(event_type: int) -> str:
    """``EVENT_TYPE_WORKFLOW_EXECUTION_STARTED`` -> ``WorkflowExecutionStarted``."""
    name = EventType.Name(event_type)
    return "".join(part.capitalize() for part in name.removeprefix("EVENT_TYPE_").split("_"))


def _event_type_from_param(value: str) -> EventType:
    if not value.startswith("EVENT_TYPE_"):
        value = "EVENT_TYPE_" + re.sub(r"([A-Z])", r"_\1", value).lstrip("_").upper()
    # Value() is typed as a plain int; the name is one of EventType's (or it raised).
    return cast(EventType, EventType.Value(value))


def temporal_link_to_nexus_link(link: Link) -> nexusrpc.Link | None:
    """The Nexus form of a Temporal link (None, with a warning, for kinds not carried)."""
    if link.WhichOneof("variant") == "activity":
        ns, aid, rid = _quoted(
            link.activity.namespace, link.activity.activity_id, link.activity.run_id
        )
        url = f"temporal:///namespaces/{ns}/activities/{aid}/{rid}/details"
        return nexusrpc.Link(url=url, type=ACTIVITY_TYPE)
    if link.WhichOneof("variant") != "workflow_event":
        _log.warning("Nexus link of kind %s not supported; left out", link.WhichOneof("variant"))
        return None
    event = link.workflow_event
    params: dict[str, object] = {}
    if event.HasField("request_id_ref"):
        params["referenceType"] = _REQUEST_ID_REFERENCE
        if event.request_id_ref.request_id:
            params["requestID"] = event.request_id_ref.request_id
        params["eventType"] = _event_type_param(event.request_id_ref.event_type)
    else:
        if event.event_ref.event_id:
            params["eventID"] = event.event_ref.event_id
        params["eventType"] = _event_type_param(event.event_ref.event_type)
        params["referenceType"] = _EVENT_REFERENCE
    ns, wid, rid = _quoted(event.namespace, event.workflow_id, event.run_id)
    url = f"temporal:///namespaces/{ns}/workflows/{wid}/{rid}/history?" + urllib.parse.urlencode(
        params
    )
    return nexusrpc.Link(url=url, type=WORKFLOW_EVENT_TYPE)


def nexus_link_to_temporal_link(link: nexusrpc.Link) -> Link | None:
    """The Temporal form of a Nexus link (None, with a warning, when it cannot be read)."""
    if link.type == ACTIVITY_TYPE:
        url = urllib.parse.urlparse(link.url)
        found = _ACTIVITY_PATH.match(url.path)
        if url.scheme != "temporal" or found is None:
            _log.warning("Nexus link %r is not a temporal:// activity URL; left out", link.url)
            return None
        ns, aid, rid = (urllib.parse.unquote(found[key]) for key in ("ns", "aid", "rid"))
        return Link(activity=Link.Activity(namespace=ns, activity_id=aid, run_id=rid))
    if link.type != WORKFLOW_EVENT_TYPE:
        _log.warning("Nexus link of type %r not supported; left out", link.type)
        return None
    url = urllib.parse.urlparse(link.url)
    match = _PATH.match(url.path)
    if url.scheme != "temporal" or match is None:
        _log.warning("Nexus link %r is not a temporal:// workflow event URL; left out", link.url)
        return None
    query = urllib.parse.parse_qs(url.query)

    def one(name: str) -> str:
        values = query.get(name) or [""]
        return values[0]

    try:
        event_type = _event_type_from_param(one("eventType"))
        event = Link.WorkflowEvent(
            namespace=urllib.parse.unquote(match["ns"]),
            workflow_id=urllib.parse.unquote(match["wid"]),
            run_id=urllib.parse.unquote(match["rid"]),
        )
        reference = one("referenceType")
        if reference == _EVENT_REFERENCE:
            event.event_ref.event_type = event_type
            event.event_ref.event_id = int(one("eventID") or 0)
        elif reference == _REQUEST_ID_REFERENCE:
            event.request_id_ref.event_type = event_type
            event.request_id_ref.request_id = one("requestID")
        else:
            raise ValueError(f"unknown referenceType {reference!r}")
    except ValueError as err:
        _log.warning("Nexus link %r cannot be read (%s); left out", link.url, err)
        return None
    return Link(workflow_event=event)
