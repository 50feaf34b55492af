"""The activities a worker runs, checked when the worker is created.

Each registered callable must carry a ``@activity.defn`` definition; names are unique; at most one
dynamic activity; classes must be registered as instances; ``def`` activities need an
``activity_executor``; any executor other than a
:py:class:`concurrent.futures.ThreadPoolExecutor` (a process pool) also needs a
``shared_state_manager``, and a process pool needs picklable activities.
"""

from __future__ import annotations

import concurrent.futures
import inspect
import pickle
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from tempyral.activity.runtime import ActivityDefinition

__all__ = ["ActivityRegistry"]


class ActivityRegistry:
    """Activity definitions by name, plus the dynamic one."""

    def __init__(
        self,
        activities: Sequence[Callable[..., Any]],
        *,
        activity_executor: concurrent.futures.Executor | None,
        shared_state_manager: object | None = None,
    ) -> None:
        self.by_name: dict[str, ActivityDefinition] = {}
        self.dynamic: ActivityDefinition | None = None
        _check_executor(activity_executor)
        for activity in activities:
            defn = ActivityDefinition.must_from_callable(activity)
            if defn.name is not None and defn.name in self.by_name:
                raise ValueError(f"More than one activity named {defn.name}")
            if inspect.isclass(activity):
                raise TypeError(
                    f"Activity named {defn.name} is a class instead of an instance: register "
                    f"an instance, e.g. {activity.__name__}() (its __call__ is the activity)"
                )
            if inspect.isfunction(activity):
                params = list(inspect.signature(activity).parameters)
                if params and params[0] == "self":
                    warnings.warn(
                        f"Activity named {defn.name} has a first parameter named self but is "
                        "not bound to an instance, did you mean to register it from an "
                        "instance of the class?",
                        stacklevel=4,
                    )
            if not defn.is_async:
                _check_sync_activity(defn, activity, activity_executor, shared_state_manager)
            if defn.name is not None:
                self.by_name[defn.name] = defn
            elif self.dynamic is not None:
                raise TypeError("More than one dynamic activity")
            else:
                self.dynamic = defn

    @property
    def has_sync(self) -> bool:
        return any(not d.is_async for d in self.all())

    def all(self) -> list[ActivityDefinition]:
        return [*self.by_name.values(), *([self.dynamic] if self.dynamic else [])]

    def find(self, activity_type: str) -> ActivityDefinition | None:
        return self.by_name.get(activity_type, self.dynamic)

    def names_text(self) -> str:
        return ", ".join(sorted(self.by_name))

    def assert_valid(self, activity_type: str) -> None:
        """Raise ValueError when ``activity_type`` has no activity here (for local activities)."""
        if self.find(activity_type) is None:
            raise ValueError(
                f"Activity function {activity_type} is not registered on this worker, "
                f"available activities: {self.names_text()}"
            )


def _check_executor(executor: concurrent.futures.Executor | None) -> None:
    if sys.version_info >= (3, 14):
        interpreter_pool = getattr(concurrent.futures, "InterpreterPoolExecutor", None)
        if interpreter_pool is not None and isinstance(executor, interpreter_pool):
            raise ValueError(
                "InterpreterPoolExecutor is not supported as an activity_executor. "
                "Use ThreadPoolExecutor instead."
            )


def _check_sync_activity(
    defn: ActivityDefinition,
    activity: Callable[..., Any],
    executor: concurrent.futures.Executor | None,
    shared_state_manager: object | None,
) -> None:
    if executor is None:
        raise ValueError(
            f"Activity {defn.name} is not async so an activity_executor must be present "
            "(for example concurrent.futures.ThreadPoolExecutor(max_workers=...))"
        )
    if isinstance(executor, concurrent.futures.ThreadPoolExecutor):
        return
    if shared_state_manager is None:
        raise ValueError(
            f"Activity {defn.name} is not async and executor is not thread-pool executor, "
            "so a shared_state_manager must be present (for example "
            "SharedStateManager.create_from_multiprocessing(multiprocessing.Manager()))"
        )
    if isinstance(executor, concurrent.futures.ProcessPoolExecutor):
        # Checked now rather than on the first task, which would fail it.
        try:
            pickle.dumps(activity)
        except Exception as err:
            raise TypeError(
                f"Activity {defn.name} must be picklable when using a process executor "
                "(a module-level function, not a lambda, closure or bound method of a "
                "local class)"
            ) from err
