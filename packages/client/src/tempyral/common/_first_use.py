"""Names a package exports but imports only when a program first asks for them (PEP 562)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["loaded_on_first_use"]


def loaded_on_first_use(
    package: str, defined_in: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` for ``package``.

    Each name of ``defined_in`` is imported from the module given for it when first looked up,
    and kept on the package, so later lookups do not come back here. ``dir()`` lists the names
    not loaded yet too.
    """

    def import_on_first_use(name: str) -> object:
        module = defined_in.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value: object = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def listed() -> list[str]:
        return sorted({*vars(sys.modules[package]), *defined_in})

    return import_on_first_use, listed
