"""How much of each official user-facing module's public surface tempyral offers, per module.

Each module's public names are computed in a separate process (``__all__`` when the module has
one, else its attributes that are not modules; underscore names never count), for
``temporalio.X`` and ``tempyral.X`` alike. The share is the fraction of the official names
that tempyral's module also has. Each module's floor is the share measured when the floor was
set, rounded down to a whole percent: building more raises the share, and a name that
disappears fails the test. Raise a floor when a module gains names; never lower one without
saying why in the commit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

# Module (after ``temporalio.`` / ``tempyral.``) -> floor, in percent.
FLOORS: dict[str, int] = {
    "client": 100,
    "worker": 100,
    "workflow": 100,
    "activity": 100,
    "converter": 100,
    "common": 100,
    "exceptions": 100,
    "testing": 100,
    "service": 100,
    "envconfig": 100,
    "runtime": 100,
    "plugin": 100,
    "nexus": 100,
}

PUBLIC_NAMES = textwrap.dedent(
    """
    import importlib, json, sys, types

    def is_own(value, module_name):
        # Without __all__ a module shows everything it imports (Any, dataclass, the SDK's own
        # classes, ...): keep what it defines, and plain values (constants, default instances).
        if isinstance(value, types.ModuleType):
            return False
        origin = getattr(value, "__module__", None)
        if not isinstance(origin, str) or origin.startswith(module_name):
            return True
        return not (callable(value) or origin in ("typing", "typing_extensions"))

    def public(module_name):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return None
        names = getattr(module, "__all__", None)
        if names is None:
            names = [
                n for n in dir(module)
                if not n.startswith("_")
                and n not in ("annotations", "TYPE_CHECKING")
                and is_own(getattr(module, n), module_name)
            ]
        # Private names are not surface, even where an __all__ lists some.
        return sorted({n for n in names if not n.startswith("_")})

    print(json.dumps({name: public(name) for name in sys.argv[1:]}))
    """
)


def _public_names(modules: list[str]) -> dict[str, list[str] | None]:
    result = subprocess.run(
        [sys.executable, "-c", PUBLIC_NAMES, *modules],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names: dict[str, list[str] | None] = json.loads(result.stdout)
    return names


@pytest.fixture(scope="module")
def shares() -> dict[str, tuple[int, int, list[str]]]:
    """Module -> (official names, of which tempyral has, the missing ones)."""
    theirs = _public_names([f"temporalio.{m}" for m in FLOORS])
    ours = _public_names([f"tempyral.{m}" for m in FLOORS])
    measured = {}
    for module in FLOORS:
        official = set(theirs[f"temporalio.{module}"] or ())
        offered = set(ours[f"tempyral.{module}"] or ())
        measured[module] = (len(official), len(official & offered), sorted(official - offered))
    for module, (total, have, _) in measured.items():
        print(f"{module:12} {have:4}/{total:<4} {100 * have / total:6.1f}%")
    return measured


@pytest.mark.parametrize("module", list(FLOORS))
def test_share_of_official_names_is_at_least_the_floor(
    shares: dict[str, tuple[int, int, list[str]]], module: str
) -> None:
    total, have, missing = shares[module]
    assert total > 0, f"temporalio.{module} has no public names: is it installed?"
    share = 100 * have / total
    print(f"tempyral.{module}: {have}/{total} = {share:.1f}% (floor {FLOORS[module]}%)")
    assert share >= FLOORS[module], (
        f"tempyral.{module} offers {have}/{total} ({share:.1f}%) of temporalio.{module}'s names,"
        f" below its floor of {FLOORS[module]}%; missing: {missing}"
    )
