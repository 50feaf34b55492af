"""``workflow.unsafe``: the escape hatches, with the official SDK's names.

tempyral imports workflow modules once, normally, and guards workflow code with a determinism
guard (``tempyral.replay._guard``) instead of a sandbox. So:

- ``imports_passed_through()`` is accepted and lets imports inside it do what imports do (file
  reads, module-level I/O) without tripping the guard;
- ``sandbox_unrestricted()`` turns the guard off inside it: for code you vouch for;
- ``is_sandboxed()`` / ``in_sandbox()`` say whether the guard is watching right now;
- ``is_replaying()`` says whether the code runs to rebuild state from history;
  ``is_replaying_history_events()`` is the same except inside query handlers and update
  validators, which are live calls (it is False there); ``is_read_only()`` is True there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar, Token
from enum import Flag, auto
from typing import TypeVar

from tempyral.replay._guard import resume as _resume_guard
from tempyral.replay._guard import suspend as _suspend_guard
from tempyral.workflow._context import _Runtime

__all__ = ["SandboxImportNotificationPolicy", "unsafe"]

_T = TypeVar("_T")


class SandboxImportNotificationPolicy(Flag):
    """The official sandbox's reaction to imports inside workflows, kept for code that names it.

    tempyral has no sandbox and imports each module once, normally: every policy behaves like
    ``SILENT``. ``unsafe.sandbox_import_notification_policy(policy)`` records the policy so that
    ``unsafe.current_import_notification_policy_override()`` returns it, as the official SDK does.
    """

    SILENT = auto()
    WARN_ON_DYNAMIC_IMPORT = auto()
    WARN_ON_UNINTENTIONAL_PASSTHROUGH = auto()
    RAISE_ON_UNINTENTIONAL_PASSTHROUGH = auto()


# Which escape hatch the running code is inside (per thread and per asyncio task).
_unrestricted: ContextVar[bool] = ContextVar("tempyral_sandbox_unrestricted", default=False)
_passed_through: ContextVar[bool] = ContextVar("tempyral_imports_passed_through", default=False)
_policy_override: ContextVar[SandboxImportNotificationPolicy | None] = ContextVar(
    "tempyral_import_notification_policy", default=None
)


class _Unrestricted(contextlib.ContextDecorator, contextlib.AbstractContextManager[None]):
    """``sandbox_unrestricted()``: a class, not a generator context manager, because tracing
    enters it around every span it records from workflow code."""

    def __init__(self) -> None:
        self._token: Token[bool] | None = None

    def _recreate_cm(self) -> _Unrestricted:
        return _Unrestricted()  # as a decorator: one block per call, safe across threads

    def __enter__(self) -> None:
        self._token = _unrestricted.set(True)
        _suspend_guard()

    def __exit__(self, *_: object) -> None:
        _resume_guard()
        if self._token is not None:
            _unrestricted.reset(self._token)


@contextlib.contextmanager
def _holding(variable: ContextVar[_T], value: _T) -> Iterator[None]:
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


class unsafe:
    """Namespace of escape hatches (not instantiated)."""

    def __init__(self) -> None:
        raise NotImplementedError

    @staticmethod
    def is_replaying() -> bool:
        return _Runtime.current().is_replaying

    @staticmethod
    def is_replaying_history_events() -> bool:
        runtime = _Runtime.current()
        return runtime.is_replaying and not runtime.read_only

    @staticmethod
    def is_read_only() -> bool:
        return _Runtime.current().read_only

    @staticmethod
    def is_sandboxed() -> bool:
        from tempyral.replay import _guard

        return _guard.is_active()

    @staticmethod
    def in_sandbox() -> bool:
        return unsafe.is_sandboxed()

    @staticmethod
    def sandbox_unrestricted() -> _Unrestricted:
        """Turn the determinism guard off inside this block (you vouch for the code)."""
        return _Unrestricted()

    @staticmethod
    def is_sandbox_unrestricted() -> bool:
        """Whether the running code is inside :py:meth:`sandbox_unrestricted`."""
        return _unrestricted.get()

    @staticmethod
    @contextlib.contextmanager
    def imports_passed_through() -> Iterator[None]:
        """Accepted for compatibility; imports inside it may do I/O without tripping the guard."""
        from tempyral.replay import _guard

        with _holding(_passed_through, True), _guard.suspended():
            yield

    @staticmethod
    def is_imports_passed_through() -> bool:
        """Whether the running code is inside :py:meth:`imports_passed_through`."""
        return _passed_through.get()

    @staticmethod
    @contextlib.contextmanager
    def imports_not_passed_through() -> Iterator[None]:
        yield

    @staticmethod
    @contextlib.contextmanager
    def sandbox_import_notification_policy(
        policy: SandboxImportNotificationPolicy,
    ) -> Iterator[None]:
        """Record ``policy`` for the block (it changes nothing: tempyral has no sandbox)."""
        with _holding(_policy_override, policy):
            yield

    @staticmethod
    def current_import_notification_policy_override() -> SandboxImportNotificationPolicy | None:
        """The policy of the enclosing :py:meth:`sandbox_import_notification_policy`, if any."""
        return _policy_override.get()

    @staticmethod
    def _passthrough_modules() -> Sequence[str]:
        return ()
