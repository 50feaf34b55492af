"""Signals and queries of a running workflow: finding the handler, converting its arguments,
running it (signals as tasks, queries read-only), and handlers registered at run time.

:py:class:`HandlerRegistry` is a collaborator of
:py:class:`~tempyral.replay._runtime.WorkflowRuntime`: it owns the handler tables and the signals
buffered until their handler exists.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.common import RawValue
from tempyral.replay import _jobs as j
from tempyral.replay._interceptor_api import HandleQueryInput, HandleSignalInput
from tempyral.replay._poison import as_exception
from tempyral.workflow._definition import _hints, _QueryDefinition, _SignalDefinition
from tempyral.workflow._event_groups import inbound_event_group
from tempyral.workflow._runtime_api import HandlerKind

if TYPE_CHECKING:
    from tempyral.replay._runtime import WorkflowRuntime

__all__ = ["HandlerKind", "HandlerRegistry"]


class HandlerRegistry:
    """Signal and query handlers of one run, and what they answered."""

    __slots__ = ("_runtime", "buffered_signals", "queries", "query_results", "signals")

    def __init__(self, runtime: WorkflowRuntime) -> None:
        self._runtime = runtime
        self.signals: dict[str | None, _SignalDefinition] = dict(runtime.definition.signals)
        self.queries: dict[str | None, _QueryDefinition] = dict(runtime.definition.queries)
        self.buffered_signals: dict[str, list[j.SignalWorkflow]] = {}
        # Answers by query id: the encoded result, or the error the handler raised.
        self.query_results: dict[str, common_pb2.Payload | BaseException] = {}

    def _handler_args(
        self,
        name: str,
        payloads: Sequence[common_pb2.Payload],
        defn: _SignalDefinition | _QueryDefinition,
    ) -> list[Any]:
        if defn.name is None:  # dynamic: (name, [RawValue...]) or the old (name, *args)
            raw = [RawValue(p) for p in payloads]
            dynamic_vararg = isinstance(defn, _SignalDefinition) and defn.dynamic_vararg
            return [name, *raw] if dynamic_vararg else [name, raw]
        return self._runtime.convert(list(payloads), defn.arg_types)

    def signal(self, job: j.SignalWorkflow) -> None:
        defn = self.signals.get(job.name) or self.signals.get(None)
        if defn is None:
            self.buffered_signals.setdefault(job.name, []).append(job)
            return
        self._process_signal(defn, job)

    def _process_signal(self, defn: _SignalDefinition, job: j.SignalWorkflow) -> None:
        runtime = self._runtime
        try:
            args = self._handler_args(job.name, job.input, defn)
        except Exception:
            runtime.log.opt(exception=True).error(
                "Failed deserializing signal input for {}, dropping the signal", job.name
            )
            return

        async def run_signal() -> None:
            # The handler's commands are grouped under the signal's event, not any outer scope.
            with inbound_event_group(job.event_id).scope():
                await runtime.interceptors.inbound.handle_signal(
                    HandleSignalInput(job.name, args, dict(job.headers))
                )

        task = runtime.create_task(runtime.top_level(run_signal()), name=f"signal: {job.name}")
        runtime.update_calls.track_signal(job.name, defn.unfinished_policy, task)

    def query(self, job: j.QueryWorkflow) -> None:
        """Queries run read-only; the answer is stored in ``query_results``."""
        runtime = self._runtime

        async def run() -> None:
            try:
                defn = self.queries.get(job.query_type) or self.queries.get(None)
                if defn is None:
                    known = sorted(k for k in self.queries if k)
                    raise RuntimeError(
                        f"Query handler for {job.query_type!r} expected but not found,"
                        f" known queries: {known}"
                    )
                args = self._handler_args(job.query_type, job.arguments, defn)
                runtime.read_only = True
                try:
                    value = await runtime.interceptors.inbound.handle_query(
                        HandleQueryInput(job.query_id, job.query_type, args, dict(job.headers))
                    )
                finally:
                    runtime.read_only = False
                self.query_results[job.query_id] = runtime.payload_converter.to_payloads([value])[0]
            except (Exception, KeyboardInterrupt, SystemExit) as err:
                # A query answers with its error whatever the code raised; its caller (the
                # worker, a test) always gets an Exception.
                self.query_results[job.query_id] = as_exception(err)

        runtime.create_task(run(), name=f"query: {job.query_type}")

    def get(self, kind: HandlerKind, name: str | None) -> Callable[..., Any] | None:
        """A signal or query handler (updates are ``_update_calls``')."""
        defn = self.signals.get(name) if kind == "signal" else self.queries.get(name)
        return defn.bind_fn(self._runtime.object) if defn is not None else None

    def set(self, kind: HandlerKind, name: str | None, handler: Callable[..., Any] | None) -> None:
        self._runtime.assert_not_read_only(f"set {kind} handler")
        if kind == "query":
            if handler is None:
                self.queries.pop(name, None)
            else:
                self.queries[name] = _QueryDefinition(
                    name, handler, is_method=False, arg_types=_hints(handler)[0]
                )
            return
        if handler is None:
            self.signals.pop(name, None)
            return
        dynamic_vararg = name is None and any(
            p.kind is p.VAR_POSITIONAL for p in inspect.signature(handler).parameters.values()
        )
        defn = _SignalDefinition(
            name,
            handler,
            is_method=False,
            arg_types=_hints(handler)[0],
            dynamic_vararg=dynamic_vararg,
        )
        self.signals[name] = defn
        # Signals that arrived before their handler existed are delivered now, in order.
        pending = (
            self.buffered_signals.pop(name, [])
            if name is not None
            else [job for jobs in self.buffered_signals.values() for job in jobs]
        )
        if name is None:
            self.buffered_signals.clear()
        for job in pending:
            self._process_signal(defn, job)
