"""The two ways replay can fail, and nothing else.

- :py:class:`NondeterminismError` (code ``TMPRL1100``, the code the official SDKs use): the
  workflow code did something other than what history says it did. It names the history event
  (id, type, attributes), the command the code issued instead (type, attributes) and the workflow
  source line that issued it, so the person reading it knows which line to look at.
- :py:class:`CorruptHistoryError` (code ``TMPYRL1001``): the history itself cannot be replayed
  (events out of order, missing attributes, an event type this engine does not support). This is
  fatal: no change to the workflow code fixes it.
- :py:class:`IllegalMoveError` (code ``TMPYRL1002``): workflow code asked a state machine for a
  move its declared lifecycle does not allow (for example cancelling something the engine never
  started). It names the machine, its state, the move, the path it took and the source line.

All derive from :py:class:`ReplayError`. Errors raised by the workflow code itself are not replay
errors: they fail the workflow task (or the workflow) as on a live worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import Message

from tempyral.api.history.v1 import message_pb2 as history_pb2

__all__ = [
    "CorruptHistoryError",
    "IllegalMoveError",
    "NondeterminismError",
    "ReplayError",
    "SourceLocation",
    "describe_event",
]

NONDETERMINISM_CODE = "TMPRL1100"
# Not a TMPRL code: that range (TMPRL1100-1299) is the official SDK rule registry, where 1101 is
# the deadlock. tempyral's own conditions use the TMPYRL prefix.
CORRUPT_HISTORY_CODE = "TMPYRL1001"
ILLEGAL_MOVE_CODE = "TMPYRL1002"


@dataclass(frozen=True)
class SourceLocation:
    """Where in the workflow source a command was issued."""

    filename: str
    lineno: int
    function: str

    @property
    def line(self) -> str:
        """The source line itself (read when asked: most locations are never shown)."""
        import linecache

        return linecache.getline(self.filename, self.lineno).strip()

    def __str__(self) -> str:
        text = f"{self.filename}:{self.lineno} in {self.function}"
        return f"{text}: {self.line}" if self.line else text


class ReplayError(Exception):
    """Base class of the errors replay itself reports."""

    code: str = ""


class NondeterminismError(ReplayError):
    """History does not match what the workflow code commanded.

    Attributes say what was expected and what happened: ``event_id``, ``event_type`` and
    ``event_attributes`` from history (``event_id`` is 0 when history has no event where the code
    issued a command), ``command_type`` and ``command_attributes`` for what the code did, and
    ``source`` for the line of workflow code that issued it (None when the code did nothing), and
    ``path`` for the transitions the state machine of that command took so far ("" when no
    machine is involved: history has a command where the code issued none).
    """

    code = NONDETERMINISM_CODE

    def __init__(
        self,
        reason: str,
        *,
        event: history_pb2.HistoryEvent | None = None,
        command_type: str = "",
        command_attributes: str = "",
        source: SourceLocation | None = None,
        workflow_type: str = "",
        workflow_id: str = "",
        path: str = "",
    ) -> None:
        self.reason = reason
        self.path = path
        self.event_id = event.event_id if event is not None else 0
        self.event_type = _event_type_name(event) if event is not None else ""
        self.event_attributes = _event_attributes(event) if event is not None else ""
        self.command_type = command_type
        self.command_attributes = command_attributes
        self.source = source
        self.workflow_type = workflow_type
        self.workflow_id = workflow_id
        super().__init__(self._message())

    def with_workflow(self, workflow_type: str, workflow_id: str) -> NondeterminismError:
        self.workflow_type, self.workflow_id = workflow_type, workflow_id
        self.args = (self._message(),)
        return self

    def _message(self) -> str:
        where = (
            f" in workflow {self.workflow_type!r} (id {self.workflow_id!r})"
            if self.workflow_type
            else ""
        )
        lines = [f"[{self.code}] Nondeterminism error{where}: {self.reason}"]
        if self.event_id:
            lines.append(
                f"  history has event {self.event_id} {self.event_type}: {self.event_attributes}"
            )
        else:
            lines.append("  history has no event for it")
        if self.command_type:
            lines.append(f"  the code issued {self.command_type}: {self.command_attributes}")
        else:
            lines.append("  the code issued no matching command")
        if self.source is not None:
            lines.append(f"  at {self.source}")
        if self.path:
            lines.append(f"  the command's state machine went: {self.path}")
        lines.append(
            "  The workflow code changed in a way that is not replay-compatible with this history."
            " Restore the old behaviour for running workflows (for example behind"
            " workflow.patched()), or start new workflows under a new workflow type."
        )
        return "\n".join(lines)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


class CorruptHistoryError(ReplayError):
    """The history cannot be replayed at all: it is malformed or uses something unsupported."""

    code = CORRUPT_HISTORY_CODE

    def __init__(self, reason: str, *, event: history_pb2.HistoryEvent | None = None) -> None:
        self.reason = reason
        self.event_id = event.event_id if event is not None else 0
        text = f"[{self.code}] Corrupt or unsupported history: {reason}"
        if event is not None:
            text += f" (event {event.event_id} {_event_type_name(event)})"
        super().__init__(text)


class IllegalMoveError(ReplayError):
    """Workflow code asked a state machine for a move its lifecycle does not allow.

    ``machine``, ``state``, ``trigger`` and ``path`` say where the machine was and what it was
    asked; ``source`` is the line of workflow code that asked. It fails the workflow task, like
    an error in the workflow code itself.
    """

    code = ILLEGAL_MOVE_CODE

    def __init__(
        self,
        *,
        machine: str,
        state: str,
        trigger: str,
        path: str,
        command_type: str = "",
        source: SourceLocation | None = None,
    ) -> None:
        self.machine, self.state, self.trigger, self.path = machine, state, trigger, path
        self.command_type = command_type
        self.source = source
        lines = [
            f"[{self.code}] Illegal move: the {machine} state machine in state {state} cannot"
            f" take {trigger}",
            f"  its path so far: {path}",
        ]
        if command_type:
            lines.append(f"  its command: {command_type}")
        if source is not None:
            lines.append(f"  asked at {source}")
        lines.append(
            "  The workflow code asked for something this command can no longer do; if the"
            " code looks right, report it to tempyral with this message."
        )
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[Exception], args: tuple[object, ...], state: dict[str, object]) -> Exception:
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


def _event_type_name(event: history_pb2.HistoryEvent) -> str:
    from tempyral.api.enums.v1 import event_type_pb2

    try:
        name = event_type_pb2.EventType.Name(event.event_type)
    except ValueError:
        return f"EVENT_TYPE_{event.event_type}"
    return name.removeprefix("EVENT_TYPE_")


def _event_attributes(event: history_pb2.HistoryEvent) -> str:
    which = event.WhichOneof("attributes")
    if which is None:
        return "{}"
    return compact_text(getattr(event, which))


def compact_text(message: Message) -> str:
    """A one-line, size-capped rendering of a proto message, for error messages."""
    from google.protobuf import text_format

    text = text_format.MessageToString(message, as_one_line=True)
    return "{" + (text if len(text) <= 400 else text[:400] + " ...") + "}"


def describe_event(event: history_pb2.HistoryEvent) -> str:
    return f"event {event.event_id} {_event_type_name(event)}"
