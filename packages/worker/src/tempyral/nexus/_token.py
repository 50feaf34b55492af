"""Operation tokens: what an asynchronous Nexus operation's caller holds to cancel it later.

The wire format is the official SDKs' (base64url without padding of compact JSON with the keys
``t`` type, ``ns`` namespace, ``wid`` workflow ID, ``aid`` activity ID, ``rid`` run ID, ``uid``
update ID, ``v`` version), so a token issued by a tempyral handler can be cancelled by an
official handler and the other way round.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Generic

from nexusrpc import OutputT

if TYPE_CHECKING:
    from tempyral.client import Client
    from tempyral.client import WorkflowHandle as ClientWorkflowHandle

__all__ = ["OperationToken", "OperationTokenType", "WorkflowHandle"]


class OperationTokenType(IntEnum):
    """What an operation token refers to."""

    WORKFLOW = 1
    ACTIVITY = 2
    UPDATE_WORKFLOW = 3


_KEYS = {"workflow_id": "wid", "activity_id": "aid", "version": "v", "run_id": "rid"}


@dataclass(frozen=True, kw_only=True)
class OperationToken:
    """A decoded operation token."""

    version: int | None = None
    type: OperationTokenType
    namespace: str
    workflow_id: str | None = None
    activity_id: str | None = None
    run_id: str | None = None
    update_id: str | None = None

    def encode(self) -> str:
        """The token as the base64url string Nexus callers hold."""
        fields: dict[str, Any] = {"t": int(self.type), "ns": self.namespace}
        for attribute, key in (*_KEYS.items(), ("update_id", "uid")):
            value = getattr(self, attribute)
            if value is not None:
                fields[key] = value
        data = json.dumps(fields, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> OperationToken:
        """Read a token; raises :py:class:`TypeError` saying what is wrong with a bad one."""
        if not token:
            raise TypeError("invalid token: token is empty")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            fields = json.loads(raw.decode())
        except (binascii.Error, ValueError) as err:
            raise TypeError(f"invalid token: not base64url-encoded JSON ({err})") from err
        if not isinstance(fields, dict):
            raise TypeError(f"invalid token: expected a JSON object, got {type(fields).__name__}")
        kind = fields.get("t")
        if not isinstance(kind, int) or kind not in set(OperationTokenType):
            raise TypeError(f"invalid token: unknown token type {kind!r}")
        token_type = OperationTokenType(kind)
        namespace = fields.get("ns")
        if not isinstance(namespace, str):
            raise TypeError("invalid token: expected the namespace (ns) to be a string")
        strings = {
            name: fields.get(key)
            for name, key in (
                ("workflow_id", "wid"),
                ("activity_id", "aid"),
                ("run_id", "rid"),
                ("update_id", "uid"),
            )
        }
        for name, value in strings.items():
            if value is not None and not isinstance(value, str):
                raise TypeError(f"invalid token: expected {name} to be a string")
        version = fields.get("v")
        if version is not None and not isinstance(version, int):
            raise TypeError("invalid token: expected the version (v) to be an int")
        needs = {
            OperationTokenType.WORKFLOW: ("workflow_id",),
            OperationTokenType.UPDATE_WORKFLOW: ("workflow_id", "update_id"),
            OperationTokenType.ACTIVITY: ("activity_id",),
        }[token_type]
        for name in needs:
            if not strings[name]:
                raise TypeError(
                    f"invalid token: expected a non-empty {name} for token type {token_type.name}"
                )
        return cls(type=token_type, namespace=namespace, version=version, **strings)


@dataclass(frozen=True)
class WorkflowHandle(Generic[OutputT]):
    """A handle to a workflow that is backing a Nexus operation.

    Do not instantiate this directly. Use
    :py:func:`tempyral.nexus.WorkflowRunOperationContext.start_workflow` to create a handle.
    """

    namespace: str
    workflow_id: str
    # Version of the token. Treated as v1 if missing. This field is not included in the
    # serialized token; it's only used to reject newer token versions on load.
    version: int | None = None

    def _to_client_workflow_handle(
        self, client: Client, result_type: type[OutputT] | None = None
    ) -> ClientWorkflowHandle[Any, OutputT]:
        if client.namespace != self.namespace:
            raise ValueError(
                f"Client namespace {client.namespace} does not match "
                f"operation token namespace {self.namespace}"
            )
        return client.get_workflow_handle(self.workflow_id, result_type=result_type)

    @classmethod
    def _unsafe_from_client_workflow_handle(
        cls, workflow_handle: ClientWorkflowHandle[Any, OutputT]
    ) -> WorkflowHandle[OutputT]:
        return cls(namespace=workflow_handle._client.namespace, workflow_id=workflow_handle.id)

    def to_token(self) -> str:
        """Convert handle to a base64url-encoded token string."""
        return OperationToken(
            type=OperationTokenType.WORKFLOW,
            namespace=self.namespace,
            workflow_id=self.workflow_id,
        ).encode()

    @classmethod
    def from_token(cls, token: str) -> WorkflowHandle[OutputT]:
        """Decodes and validates a token from its base64url-encoded string representation."""
        decoded = OperationToken.decode(token)
        if decoded.type != OperationTokenType.WORKFLOW:
            raise TypeError(
                f"invalid workflow token type: {decoded.type}, "
                f"expected: {OperationTokenType.WORKFLOW}"
            )
        if decoded.version not in (None, 0):
            raise TypeError("invalid workflow token: 'v' field, if present, must be 0 or absent")
        assert decoded.workflow_id is not None
        return cls(
            namespace=decoded.namespace,
            workflow_id=decoded.workflow_id,
            version=decoded.version,
        )
