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

from tempyral.workflow._context import _Runtime

__all__ = ["unsafe"]


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
    @contextlib.contextmanager
    def sandbox_unrestricted() -> Iterator[None]:
        """Turn the determinism guard off inside this block (you vouch for the code)."""
        from tempyral.replay import _guard

        with _guard.suspended():
            yield

    @staticmethod
    @contextlib.contextmanager
    def imports_passed_through() -> Iterator[None]:
        """Accepted for compatibility; imports inside it may do I/O without tripping the guard."""
        from tempyral.replay import _guard

        with _guard.suspended():
            yield

    @staticmethod
    @contextlib.contextmanager
    def imports_not_passed_through() -> Iterator[None]:
        yield

    @staticmethod
    @contextlib.contextmanager
    def sandbox_import_notification_policy(policy: object) -> Iterator[None]:
        del policy
        yield

    @staticmethod
    def _passthrough_modules() -> Sequence[str]:
        return ()
