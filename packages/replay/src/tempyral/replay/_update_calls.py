"""Workflow updates on the workflow side: finding the handler, running the validator and the
handler, answering the engine, and keeping count of the handlers still running.

:py:class:`UpdateCalls` is a collaborator of :py:class:`~tempyral.replay._runtime.WorkflowRuntime`.
Each update runs in its own task, as in the official Python SDK: the handler is looked up inside
the task (it may be registered by the code that the same activation starts), the validator runs
read-only when the update is first delivered, then the update is accepted and its handler runs.
A validator that raises, or a missing handler, rejects the update; a handler that raises a
failure exception (``ApplicationError`` and the workflow's failure exception types) fails the
update; any other error fails the workflow task, as it would in the run method.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.failure.v1 import message_pb2 as failure_pb2
from tempyral.common import RawValue
from tempyral.exceptions import CancelledError
from tempyral.replay import _intents as i
from tempyral.replay import _jobs as j
from tempyral.replay._interceptor_api import HandleUpdateInput
from tempyral.workflow._context import ContinueAsNewError, ReadOnlyContextError
from tempyral.workflow._definition import HandlerUnfinishedPolicy, _hints, _UpdateDefinition
from tempyral.workflow._event_groups import inbound_update_event_group
from tempyral.workflow._updates import (
    UnfinishedSignalHandlersWarning,
    UnfinishedUpdateHandlersWarning,
    UpdateInfo,
    _current_update_info,
)

if TYPE_CHECKING:
    from tempyral.replay._runtime import WorkflowRuntime

__all__ = ["UpdateCalls"]

_WAIT_HINT = (
    "You can wait for all update and signal handlers to complete by using `await"
    " workflow.wait_condition(lambda: workflow.all_handlers_finished())`."
)


class UpdateCalls:
    """Update handlers of one run, the updates in progress, and the signals in progress."""

    __slots__ = ("_runtime", "_signal_count", "definitions", "signals_running", "updates_running")

    def __init__(self, runtime: WorkflowRuntime) -> None:
        self._runtime = runtime
        self.definitions: dict[str | None, _UpdateDefinition] = dict(runtime.definition.updates)
        # Handlers still running, with the policy that says whether their abandonment warns.
        self.updates_running: dict[str, tuple[str, HandlerUnfinishedPolicy]] = {}
        self.signals_running: dict[int, tuple[str, HandlerUnfinishedPolicy]] = {}
        self._signal_count = 0

    # -- handlers ---------------------------------------------------------------------------------
    def get(self, name: str | None) -> Callable[..., Any] | None:
        defn = self.definitions.get(name)
        return defn.bind_fn(self._runtime.object) if defn is not None else None

    def set(
        self,
        name: str | None,
        handler: Callable[..., Any] | None,
        validator: Callable[..., Any] | None,
    ) -> None:
        self._runtime.assert_not_read_only("set update handler")
        if handler is None:
            self.definitions.pop(name, None)
            return
        if name is None and _has_vararg(handler):
            raise RuntimeError(
                "Dynamic updates do not support a vararg third param, use Sequence[RawValue]"
            )
        self.definitions[name] = _UpdateDefinition(
            name, handler, is_method=False, validator=validator, arg_types=_hints(handler)[0]
        )

    # -- running an update ----------------------------------------------------------------------
    def run(self, job: j.DoUpdate) -> None:
        self._runtime.create_task(self._run_grouped(job), name=f"update: {job.name}")

    async def _run_grouped(self, job: j.DoUpdate) -> None:
        # The update's commands are grouped under the update, not any outer scope.
        with inbound_update_event_group(job.id).scope():
            await self._run(job)

    async def _run(self, job: j.DoUpdate) -> None:
        runtime = self._runtime
        _current_update_info.set(UpdateInfo(id=job.id, name=job.name))
        accepted = False
        try:
            defn = self.definitions.get(job.name) or self.definitions.get(None)
            if defn is None:
                known = " ".join(sorted(k for k in self.definitions if k))
                raise RuntimeError(
                    f"Update handler for '{job.name}' expected but not found, and there is no"
                    f" dynamic handler. known updates: [{known}]"
                )
            self.updates_running[job.id] = (job.name, defn.unfinished_policy)
            inbound = runtime.interceptors.inbound
            if job.run_validator and defn.validator is not None:
                # The whole interceptor chain is read-only, as for queries: an interceptor's
                # own work around a validator must not issue commands or draw randomness either.
                runtime.read_only = True
                try:
                    inbound.handle_update_validator(self._input(job, defn))
                finally:
                    runtime.read_only = False
            accepted = True
            self._respond(job, "accept")
            # Fresh arguments: the validator may have mutated the ones it was given.
            result = await inbound.handle_update_handler(self._input(job, defn))
            payload = runtime.payload_converter.to_payloads([result])[0]
            self._respond(job, "complete", result=payload)
        except ContinueAsNewError:
            runtime.activation_error = RuntimeError("Cannot continue as new from an update handler")
        except (Exception, asyncio.CancelledError) as err:
            if runtime.deleting:
                return
            error: BaseException = err
            if isinstance(err, asyncio.CancelledError):
                error = CancelledError(f"Cancellation raised within update {err}")
            if isinstance(error, ReadOnlyContextError):
                runtime.activation_error = error  # a validator that tried to change state
            elif not accepted or runtime.is_failure_exception(error):
                self._respond(job, "reject", failure=self._failure(error))
            else:
                runtime.activation_error = error
        finally:
            self.updates_running.pop(job.id, None)

    def _input(self, job: j.DoUpdate, defn: _UpdateDefinition) -> HandleUpdateInput:
        return HandleUpdateInput(
            id=job.id, update=job.name, args=self._args(job, defn), headers=job.headers
        )

    def definition(self, name: str) -> _UpdateDefinition | None:
        return self.definitions.get(name) or self.definitions.get(None)

    def validate(
        self, validator: Callable[..., Any], defn: _UpdateDefinition, args: Sequence[Any]
    ) -> None:
        if defn.is_method:
            validator = validator.__get__(self._runtime.object)
        validator(*args)  # read-only: the caller set it around the interceptor chain

    def _args(self, job: j.DoUpdate, defn: _UpdateDefinition) -> list[Any]:
        if defn.name is None:  # dynamic: (name, [RawValue...])
            return [job.name, [RawValue(p) for p in job.input]]
        return self._runtime.convert(job.input, defn.arg_types)

    def _failure(self, error: BaseException) -> failure_pb2.Failure:
        runtime = self._runtime
        failure = failure_pb2.Failure()
        runtime.failure_converter.to_failure(error, runtime.payload_converter, failure)
        return failure

    def _respond(
        self,
        job: j.DoUpdate,
        response: str,
        *,
        result: common_pb2.Payload | None = None,
        failure: failure_pb2.Failure | None = None,
    ) -> None:
        self._runtime.issue(i.RespondToUpdate(job.protocol_instance_id, response, result, failure))

    # -- handlers still running -----------------------------------------------------------------
    def track_signal(
        self, name: str, policy: HandlerUnfinishedPolicy, task: asyncio.Task[Any]
    ) -> None:
        self._signal_count += 1
        key = self._signal_count
        self.signals_running[key] = (name, policy)
        task.add_done_callback(lambda _task: self.signals_running.pop(key, None))

    def all_finished(self) -> bool:
        return not self.updates_running and not self.signals_running

    def warn_unfinished(self, intents: Sequence[i.Intent]) -> None:
        """When the run ends with handlers still running, warn as the official SDK does."""
        if not any(isinstance(intent, i.TERMINAL_INTENTS) for intent in intents):
            return
        warn = HandlerUnfinishedPolicy.WARN_AND_ABANDON
        updates = [
            {"name": name, "id": update_id}
            for update_id, (name, policy) in self.updates_running.items()
            if policy is warn
        ]
        if updates:
            message = _unfinished("update", updates)
            warnings.warn(UnfinishedUpdateHandlersWarning(message), stacklevel=1)
        counts: dict[str, int] = {}
        for name, policy in self.signals_running.values():
            if policy is warn:
                counts[name] = counts.get(name, 0) + 1
        if counts:
            signals = [
                {"name": name, "count": count}
                for name, count in sorted(counts.items(), key=lambda item: -item[1])
            ]
            message = _unfinished("signal", signals)
            warnings.warn(UnfinishedSignalHandlersWarning(message), stacklevel=1)


def _unfinished(kind: str, handlers: list[dict[str, Any]]) -> str:
    consequence = (
        " The client that sent the update will receive a 'workflow execution already completed'"
        " RPCError instead of the update result."
        if kind == "update"
        else ""
    )
    policy = "workflow.HandlerUnfinishedPolicy.ABANDON"
    return (
        f"[TMPRL1102] Workflow finished while {kind} handlers are still running.{consequence}"
        f" {_WAIT_HINT} Alternatively, disable this warning with"
        f" `@workflow.{kind}(unfinished_policy={policy})`. The following {kind}s were unfinished"
        f" (and warnings were not disabled for their handler): {json.dumps(handlers)}"
    )


def _has_vararg(fn: Callable[..., Any]) -> bool:
    params = list(inspect.signature(fn).parameters.values())
    return any(p.kind is p.VAR_POSITIONAL for p in params)
