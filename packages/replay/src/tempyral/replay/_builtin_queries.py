"""The queries every workflow answers: ``__stack_trace``, ``__enhanced_stack_trace`` and
``__temporal_workflow_metadata``, in the shapes the official Python SDK answers them.

The Temporal UI's stack view and ``temporal workflow stack`` / ``temporal workflow metadata`` read
them. They are registered like user queries (so they appear in the known-query list and in the
metadata), and a workflow may override them.
"""

from __future__ import annotations

import asyncio
import functools
import traceback
from collections.abc import Mapping
from types import FrameType, MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from tempyral.api.sdk.v1 import enhanced_stack_trace_pb2 as stack_pb2
from tempyral.api.sdk.v1 import workflow_metadata_pb2 as metadata_pb2
from tempyral.replay import _guard
from tempyral.workflow._definition import _QueryDefinition

if TYPE_CHECKING:
    from tempyral.replay._runtime import WorkflowRuntime

__all__ = ["builtin_queries"]


class _Described(Protocol):
    @property
    def name(self) -> str | None: ...

    @property
    def description(self) -> str | None: ...


@functools.cache
def sdk_version() -> str:
    """tempyral-replay's version, for the enhanced stack trace's ``sdk`` field.

    Read once, when the first run's built-in queries are made: that is engine code, outside
    the determinism guard. Reading package metadata lists ``sys.path`` folders, which the guard
    refuses inside workflow code, and a query runs as workflow code.
    """
    # Imported here: importlib.metadata is slow to import and only a stack-trace query needs it.
    from importlib import metadata

    try:
        return metadata.version("tempyral-replay")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return ""


def builtin_queries() -> Mapping[str | None, _QueryDefinition]:
    """The built-in query definitions, one set shared by every run of the process.

    Each finds its run at call time, from the event loop it runs on, so a cached run carries no
    closures of its own for them (about 1.2 KB a run when they were made per run).
    """
    sdk_version()  # read here, outside the guard; the queries only read the cached value
    return _BUILTIN_QUERIES


def _current_runtime() -> WorkflowRuntime:
    """The run whose event loop calls: queries run as tasks of their run's loop."""
    runtime: WorkflowRuntime | None = getattr(
        asyncio._get_running_loop(), "_tempyral_runtime", None
    )
    if runtime is None:
        raise RuntimeError("a built-in query runs only on its workflow's event loop")
    return runtime


def _stack_trace() -> str:
    stacks = []
    for task in _workflow_tasks(_current_runtime()):
        frames = [
            traceback.FrameSummary(f.f_code.co_filename, f.f_lineno, f.f_code.co_name)
            for f in _frames(task)
        ]
        stacks.append(
            f"Stack for {task!r} (most recent call last):\n"
            + "\n".join(traceback.format_list(frames))
        )
    return "\n\n".join(stacks)


def _enhanced_stack_trace() -> stack_pb2.EnhancedStackTrace:
    sources: dict[str, stack_pb2.StackTraceFileSlice] = {}
    stacks = []
    for task in _workflow_tasks(_current_runtime()):
        locations = []
        for frame in _frames(task):
            filename = frame.f_code.co_filename
            if filename not in sources:
                sources[filename] = stack_pb2.StackTraceFileSlice(
                    line_offset=0, content=_source_text(filename)
                )
            locations.append(
                stack_pb2.StackTraceFileLocation(
                    file_path=filename,
                    line=frame.f_lineno,
                    column=-1,
                    function_name=frame.f_code.co_name,
                    internal_code=False,
                )
            )
        stacks.append(stack_pb2.StackTrace(locations=locations))
    sdk = stack_pb2.StackTraceSDKInfo(name="tempyral", version=sdk_version())
    return stack_pb2.EnhancedStackTrace(sdk=sdk, sources=sources, stacks=stacks)


def _definitions(
    table: Mapping[str | None, _Described],
) -> list[metadata_pb2.WorkflowInteractionDefinition]:
    found = [
        metadata_pb2.WorkflowInteractionDefinition(
            name=d.name or "", description=d.description or ""
        )
        for d in table.values()
    ]
    return sorted(found, key=lambda d: d.name)


def _workflow_metadata() -> metadata_pb2.WorkflowMetadata:
    runtime = _current_runtime()
    handlers = runtime.handlers
    definition = metadata_pb2.WorkflowDefinition(
        type=runtime.info.workflow_type,
        query_definitions=_definitions(handlers.queries),
        signal_definitions=_definitions(handlers.signals),
        update_definitions=_definitions(runtime.definition.updates),
    )
    return metadata_pb2.WorkflowMetadata(
        definition=definition, current_details=runtime.properties.current_details
    )


_BUILTIN_QUERIES: Mapping[str | None, _QueryDefinition] = MappingProxyType(
    {
        "__stack_trace": _QueryDefinition("__stack_trace", _stack_trace, is_method=False),
        "__enhanced_stack_trace": _QueryDefinition(
            "__enhanced_stack_trace", _enhanced_stack_trace, is_method=False
        ),
        "__temporal_workflow_metadata": _QueryDefinition(
            "__temporal_workflow_metadata", _workflow_metadata, is_method=False
        ),
    }
)


def _workflow_tasks(runtime: WorkflowRuntime) -> list[asyncio.Task[Any]]:
    """The run's tasks, without the queries being answered (they are not the workflow's)."""
    return [t for t in list(runtime.tasks) if not t.get_name().startswith("query:")]


def _frames(task: asyncio.Task[Any]) -> list[FrameType]:
    """The task's whole await chain, outermost first (``Task.get_stack`` gives only the
    outermost coroutine's frame, which for every workflow task is the engine's wrapper)."""
    frames: list[FrameType] = []
    awaitable: Any = task.get_coro()
    while awaitable is not None:
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        awaitable = getattr(awaitable, "cr_await", None) or getattr(awaitable, "gi_yieldfrom", None)
    return frames


def _source_text(filename: str) -> str:
    # Reading a source file is I/O the determinism guard forbids in workflow code; a read-only
    # query may, as the official SDK's does (it lifts its sandbox for this).
    try:
        with _guard.suspended(), open(filename, encoding="utf-8") as source:
            return source.read()
    except OSError as err:
        return f"Cannot access code.\n---\n{err.strerror}"
