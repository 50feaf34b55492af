"""Signals and queries of a running workflow: finding the handler, converting its arguments,
running it (signals as tasks, queries read-only), and handlers registered at run time.

A mixin of :py:class:`~tempyral.replay._runtime.WorkflowRuntime`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.common import RawValue
from tempyral.replay import _jobs as j
from tempyral.workflow._definition import _hints, _QueryDefinition, _SignalDefinition

__all__ = ["Handlers"]

logger = logging.getLogger(__name__)


class Handlers:
    """Signal and query handling (state lives on the runtime)."""

    signals: dict[str | None, _SignalDefinition]
    queries: dict[str | None, _QueryDefinition]
    buffered_signals: dict[str, list[j.SignalWorkflow]]
    query_results: dict[str, Any]
    object: Any
    read_only: bool

    def _handler_args(
        self: Any, name: str, payloads: Sequence[common_pb2.Payload], defn: Any
    ) -> list[Any]:
        if defn.name is None:  # dynamic: (name, [RawValue...]) or the old (name, *args)
            raw = [RawValue(p) for p in payloads]
            return [name, *raw] if defn.dynamic_vararg else [name, raw]
        converted: list[Any] = self.convert(list(payloads), defn.arg_types)
        return converted

    def _process_signal(self: Any, defn: _SignalDefinition, job: j.SignalWorkflow) -> None:
        try:
            args = self._handler_args(job.name, job.input, defn)
        except Exception:
            logger.exception(
                "Failed deserializing signal input for %s, dropping the signal", job.name
            )
            return

        async def run_signal() -> None:
            result = defn.bind_fn(self.object)(*args)
            if inspect.isawaitable(result):
                await result

        self.create_task(self._top_level(run_signal()), name=f"signal: {job.name}")

    def run_query(self: Any, job: j.QueryWorkflow) -> None:
        """Queries run read-only; the answer is stored in ``query_results``."""

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
                self.read_only = True
                try:
                    value = defn.bind_fn(self.object)(*args)
                    if inspect.isawaitable(value):
                        value = await value
                finally:
                    self.read_only = False
                self.query_results[job.query_id] = self.payload_converter.to_payloads([value])[0]
            except Exception as err:
                self.query_results[job.query_id] = err

        self.create_task(run(), name=f"query: {job.query_type}")

    def get_handler(self: Any, kind: str, name: str | None) -> Callable[..., Any] | None:
        table: Mapping[str | None, Any] = self.signals if kind == "signal" else self.queries
        defn = table.get(name)
        return defn.bind_fn(self.object) if defn is not None else None

    def set_handler(
        self: Any, kind: str, name: str | None, handler: Callable[..., Any] | None
    ) -> None:
        self.assert_not_read_only(f"set {kind} handler")
        if kind == "signal":
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
        elif handler is None:
            self.queries.pop(name, None)
        else:
            self.queries[name] = _QueryDefinition(
                name,
                handler,
                is_method=False,
                arg_types=__import__("tempyral.workflow._definition", fromlist=["_hints"])._hints(
                    handler
                )[0],
            )
