"""``RawValue``: a payload that skips the payload converter in both directions."""

from __future__ import annotations

from dataclasses import dataclass

from tempyral.api.common.v1.message_pb2 import Payload

__all__ = ["RawValue"]

# Pickled state starts with a version byte so that the format can change later.
_PICKLE_VERSION = b"1"


@dataclass(frozen=True)
class RawValue:
    """An unconverted, raw payload.

    Use it as a parameter or return type of workflows, activities, signals, queries and updates
    to receive or send the payload itself. The payload codec still applies.
    """

    payload: Payload

    def __getstate__(self) -> object:
        """Pickle support (protobuf messages do not pickle across descriptor pools)."""
        return _PICKLE_VERSION + self.payload.SerializeToString()

    def __setstate__(self, state: object) -> None:
        """Pickle support."""
        if not isinstance(state, bytes):
            raise TypeError(f"Expected bytes state, got {type(state)}")
        if state[:1] != _PICKLE_VERSION:
            raise ValueError(
                f"Bad version prefix {state[:1]!r} in pickled RawValue; it was written by an "
                "incompatible version"
            )
        object.__setattr__(self, "payload", Payload.FromString(state[1:]))
