"""The replay-only install works: golden histories replay with no grpc and no pydantic around.

Run it with the Python of a clean environment that has only ``tempyral-replay`` installed from
the built wheels, without extras (its dependencies bring tempyral-client and tempyral-protos):
``tox -e replay-only`` makes one and runs this. It checks, as a CI job that only checks
determinism would see it:

* grpcio and pydantic are not installed at all (the install took only what replay imports);
* every golden history (packages/replay/tests/golden: the top-level set and the updates,
  patching, local-activity and previous-run sets, each with its own workflows module) replays;
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
from types import ModuleType
from typing import NoReturn

GOLDEN = Path(__file__).resolve().parents[1] / "packages" / "replay" / "tests" / "golden"
ABSENT = ("grpc", "pydantic")
# What every venv carries whatever is installed in it; left out of the size that matters.
INSTALLER = ("pip", "setuptools", "wheel", "_distutils_hack", "distutils-precedence.pth")


def fail(message: str) -> NoReturn:
    print(f"replay-only: {message}", file=sys.stderr)
    sys.exit(1)


# Every golden set (a folder of packages/replay/tests/golden with its own workflows module),
# replayed as its replay tests replay it. The top-level set, the inline-activities one and
# these are all of them: ``every_golden_set_is_replayed`` fails when a new one is not listed.
GOLDEN_SETS = (
    "updates",
    "patching",
    "local_activities",
    "previous_run",
    "nexus",
    "event_groups",
    "versioning",
)


def load_workflows(path: Path, name: str) -> ModuleType:
    """A golden workflows module, imported from its file as a user's workflow code is."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        fail(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def workflow_classes(module: ModuleType) -> list[type]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and "__tempyral_workflow_definition" in value.__dict__
    ]


def replay_folder(folder: Path, module: ModuleType) -> int:
    """Replay every history of ``folder/histories`` (ids from its ``index.json``)."""
    from tempyral.replay import Replayer, WorkflowHistory

    histories = folder / "histories"
    index_path = folder / "index.json"
    if not index_path.exists():
        index_path = histories / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    replayer = Replayer(workflows=workflow_classes(module))
    paths = [p for p in sorted(histories.glob("*.json")) if p.name != "index.json"]
    for path in paths:
        # kitchen_sink.cli.json is kitchen_sink's run as the CLI recorded it: one id for both.
        workflow_id = index[path.name.removesuffix(".json").split(".")[0]]
        history = WorkflowHistory.from_json(workflow_id, path.read_text(encoding="utf-8"))
        try:
            replayer.replay_workflow_sync(history)  # raises on nondeterminism
        except Exception as err:
            fail(f"{path.relative_to(GOLDEN)} does not replay: {err!r}")
    return len(paths)


def every_golden_set_is_replayed() -> None:
    sets = {p.parent.name for p in GOLDEN.glob("*/workflows.py")}
    missing = sets - set(GOLDEN_SETS) - {"inline_activities"}
    if missing:
        fail(f"golden sets {sorted(missing)} are not replayed: add them to GOLDEN_SETS")


def replay_goldens() -> int:
    every_golden_set_is_replayed()
    replayed = replay_folder(GOLDEN, load_workflows(GOLDEN / "workflows.py", "golden_workflows"))
    for name in GOLDEN_SETS:
        module = load_workflows(GOLDEN / name / "workflows.py", f"golden_{name}_workflows")
        if name == "patching":
            # The newest code, with MidFlight's patch: it replays the runs of both versions
            # (mid_flight_v1 recorded before the patch, mid_flight_v2 after), as
            # test_golden_patching's replayer does.
            module.MidFlight.patched_code = True
        replayed += replay_folder(GOLDEN / name, module)
    return replayed + replay_inline_activities()


def replay_inline_activities() -> int:
    from tempyral.replay import Replayer, WorkflowHistory

    folder = GOLDEN / "inline_activities"
    # Imports tempyral.activity: no worker installed here.
    module = load_workflows(folder / "workflows.py", "inline_workflows")
    history = WorkflowHistory.from_json(
        "ship-p-7", (folder / "history.json").read_text(encoding="utf-8")
    )
    Replayer(workflows=[module.ShipParcel]).replay_workflow_sync(history)
    return 1


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
