"""The replay-only install works: golden histories replay with no grpc and no pydantic around.

Run it with the Python of a clean environment that has only ``tempyral-replay`` installed from
the built wheels, without extras (its dependencies bring tempyral-client and tempyral-protos):
``tox -e replay-only`` makes one and runs this. It checks, as a CI job that only checks
determinism would see it:

* grpcio and pydantic are not installed at all (the install took only what replay imports);
* every golden history (packages/replay/tests/golden) replays with its workflows;
* a workflow module that defines its activities beside its workflow (``tempyral.activity``, as
  user code does: golden/inline_activities) imports and replays its history;
* workflows that call Nexus operations by their ``nexusrpc`` service definition
  (golden/nexus) replay theirs;
* neither ``grpc`` nor ``pydantic`` was imported while doing so;
* importing the gRPC side (``tempyral.service``) fails with an ImportError naming the extra;

then prints what the environment holds and the size of its site-packages.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import sys
import sysconfig
from pathlib import Path
from typing import NoReturn

GOLDEN = Path(__file__).resolve().parents[1] / "packages" / "replay" / "tests" / "golden"
ABSENT = ("grpc", "pydantic")
# What every venv carries whatever is installed in it; left out of the size that matters.
INSTALLER = ("pip", "setuptools", "wheel", "_distutils_hack", "distutils-precedence.pth")


def fail(message: str) -> NoReturn:
    print(f"replay-only: {message}", file=sys.stderr)
    sys.exit(1)


def replay_goldens() -> int:
    from tempyral.replay import Replayer, WorkflowHistory

    sys.path.insert(0, str(GOLDEN))
    import workflows  # the golden workflows module, as a user's workflow code

    classes = [
        value
        for value in vars(workflows).values()
        if isinstance(value, type) and "__tempyral_workflow_definition" in value.__dict__
    ]
    replayer = Replayer(workflows=classes)
    index = json.loads((GOLDEN / "histories" / "index.json").read_text(encoding="utf-8"))
    paths = [p for p in sorted((GOLDEN / "histories").glob("*.json")) if p.name != "index.json"]
    for path in paths:
        workflow_id = index[path.name.removesuffix(".json").split(".")[0]]
        history = WorkflowHistory.from_json(workflow_id, path.read_text(encoding="utf-8"))
        replayer.replay_workflow_sync(history)  # raises on nondeterminism
    return len(paths) + replay_inline_activities() + replay_nexus()


def replay_inline_activities() -> int:
    from tempyral.replay import Replayer, WorkflowHistory

    folder = GOLDEN / "inline_activities"
    spec = importlib.util.spec_from_file_location("inline_workflows", folder / "workflows.py")
    if spec is None or spec.loader is None:
        fail(f"cannot load {folder / 'workflows.py'}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["inline_workflows"] = module
    spec.loader.exec_module(module)  # imports tempyral.activity: no worker installed here
    history = WorkflowHistory.from_json(
        "ship-p-7", (folder / "history.json").read_text(encoding="utf-8")
    )
    Replayer(workflows=[module.ShipParcel]).replay_workflow_sync(history)
    return 1


def replay_nexus() -> int:
    """The Nexus golden set: its workflows import ``nexusrpc`` (a dependency of tempyral-replay)."""
    from tempyral.replay import Replayer, WorkflowHistory

    folder = GOLDEN / "nexus"
    spec = importlib.util.spec_from_file_location("nexus_workflows", folder / "workflows.py")
    if spec is None or spec.loader is None:
        fail(f"cannot load {folder / 'workflows.py'}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["nexus_workflows"] = module
    spec.loader.exec_module(module)
    replayer = Replayer(workflows=module.WORKFLOWS)
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    paths = sorted((folder / "histories").glob("*.json"))
    for path in paths:
        history = WorkflowHistory.from_json(index[path.stem], path.read_text(encoding="utf-8"))
        replayer.replay_workflow_sync(history)  # raises on nondeterminism
    return len(paths)


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    installed = [name for name in ABSENT if importlib.util.find_spec(name) is not None]
    if installed:
        fail(f"{installed} installed: tempyral-replay's dependencies must not bring them")

    replayed = replay_goldens()
    imported = sorted(m for m in sys.modules if m.split(".")[0] in ABSENT)
    if imported:
        fail(f"replaying imported {imported}")

    try:
        importlib.import_module("tempyral.service")
    except ImportError as err:
        if "tempyral-client[grpc]" not in str(err):
            fail(f"importing tempyral.service without grpc says {err!r}, not which extra to add")
    else:
        fail("tempyral.service imported without grpc installed")

    site = Path(sysconfig.get_paths()["purelib"])
    ours = sum(
        size(p) if p.is_dir() else p.stat().st_size
        for p in site.iterdir()
        if not p.name.startswith(INSTALLER)
    )
    dists = sorted(
        f"{d.metadata['Name']}=={d.version}"
        for d in importlib.metadata.distributions()
        if d.metadata["Name"] not in INSTALLER
    )
    print(f"replayed {replayed} golden histories; grpc and pydantic neither installed nor imported")
    print(f"installed: {' '.join(dists)}")
    print(
        f"site-packages: {ours / 1e6:.1f} MB without the installer "
        f"({size(site) / 1e6:.1f} MB with pip) in {site}"
    )


if __name__ == "__main__":
    main()
