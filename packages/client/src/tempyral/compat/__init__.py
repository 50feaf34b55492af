"""Run code written for ``temporalio`` on tempyral, unmodified: an opt-in import alias.

After :py:func:`enable` (or with ``TEMPYRAL_COMPAT=1`` in the environment, read when the
interpreter starts), ``import temporalio.workflow`` gives ``tempyral.workflow``, and every other
``temporalio.<module>`` the matching ``tempyral.<module>``: the very same module objects, so
``isinstance`` checks, exceptions and decorators are shared by code that uses either name. A team
can run its code base, and third-party libraries written for ``temporalio``, on tempyral before
renaming a single import.

What it refuses, with an error saying what to do:

* enabling it after the real ``temporalio`` was imported in the process (two SDKs under one name
  would mix their classes);
* a ``temporalio`` module tempyral does not provide (``ModuleNotFoundError`` naming the tempyral
  module that was looked for); a missing name in a module that exists fails as any
  ``from tempyral.X import name`` does, naming ``tempyral.X``.
"""

from tempyral.compat._alias import disable, enable, is_enabled

__all__ = ["disable", "enable", "is_enabled"]
