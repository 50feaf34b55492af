"""The import hook behind :py:mod:`tempyral.compat`.

A meta path finder placed first on ``sys.meta_path`` answers for ``temporalio`` and every
``temporalio.*`` name: the top-level name is a small package of our own (so that
``import temporalio`` and attribute access to its submodules work), and each submodule is the
already-imported tempyral module of the same dotted path.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types
from collections.abc import Sequence

__all__ = ["ENV_VAR", "disable", "enable", "enable_from_environment", "is_enabled"]

ALIAS = "temporalio"
TARGET = "tempyral"
ENV_VAR = "TEMPYRAL_COMPAT"
_MIGRATION_HINT = "see the migration guide (docs/migration.md) for what tempyral does not provide"


class _AliasPackage(types.ModuleType):
    """``temporalio`` itself: submodules are imported on first attribute access."""

    __version__: str

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return importlib.import_module(f"{ALIAS}.{name}")
        except ModuleNotFoundError as err:
            raise AttributeError(f"module {ALIAS!r} has no attribute {name!r}: {err}") from None


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self._target = target
        self._spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        if spec.name == ALIAS:
            package = _AliasPackage(ALIAS, f"tempyral's alias of {ALIAS} (tempyral.compat)")
            package.__path__ = []
            package.__version__ = _tempyral_version()
            return package
        try:
            module = importlib.import_module(self._target)
        except ModuleNotFoundError as err:
            if err.name is not None and not self._target.startswith(err.name):
                raise  # something the tempyral module itself imports is missing
            raise ModuleNotFoundError(
                f"{spec.name} is not provided by tempyral: there is no module {self._target} "
                f"(tempyral.compat maps {ALIAS}.X to {TARGET}.X); {_MIGRATION_HINT}",
                name=spec.name,
            ) from None
        self._spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # The module is tempyral's own and already executed. The import system has just set its
        # __spec__ to the alias spec: put its own back, so that it stays tempyral.X everywhere.
        if module.__name__ == self._target and self._spec is not None:
            module.__spec__ = self._spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        mapped = TARGET + fullname[len(ALIAS) :]
        if fullname == ALIAS:
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(mapped), is_package=True)
        try:
            found = importlib.util.find_spec(mapped)
        except ModuleNotFoundError:
            found = None
        # A package's submodules are looked up through this finder again, by their alias names;
        # a plain module must not be given a __path__.
        is_package = found is None or found.submodule_search_locations is not None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(mapped), is_package=is_package)


_FINDER = _AliasFinder()


def is_enabled() -> bool:
    """Whether ``temporalio`` imports resolve to tempyral in this process."""
    return _FINDER in sys.meta_path


def enable() -> None:
    """Make ``import temporalio...`` resolve to tempyral in this process (idempotent).

    Raises:
        RuntimeError: the real ``temporalio`` is already imported here.
    """
    if is_enabled():
        return
    real = [name for name in sys.modules if name == ALIAS or name.startswith(ALIAS + ".")]
    if real:
        raise RuntimeError(
            f"tempyral.compat cannot alias {ALIAS}: the real {ALIAS} is already imported in this "
            f"process ({sorted(real)[0]}). Enable the alias before anything imports {ALIAS}: call "
            f"tempyral.compat.enable() first thing, or set {ENV_VAR}=1 in the environment."
        )
    sys.meta_path.insert(0, _FINDER)


def disable() -> None:
    """Remove the alias; modules already imported under ``temporalio`` names are forgotten."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if n == ALIAS or n.startswith(ALIAS + ".")]:
        del sys.modules[name]


def enable_from_environment() -> None:
    """Enable the alias when ``TEMPYRAL_COMPAT`` is set to 1/true/yes (run at interpreter start)."""
    if os.environ.get(ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}:
        enable()


def _tempyral_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tempyral-client")
    except PackageNotFoundError:
        return "0"
