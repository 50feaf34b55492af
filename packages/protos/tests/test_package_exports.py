"""``from tempyral.api.<pkg>.v1 import Name`` works for every name the official package exports.

The official SDK (``temporalio``, installed in the test environment) is inspected in a separate
interpreter, and so is tempyral, so that neither side's imports (nor the lazy exports' caching)
leak into the other or into this process.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tempyral.api
from tempyral.api._not_generated import NOT_GENERATED

# Describes a value the same way on both sides: a message or enum by its wire name, a submodule by
# its name inside the package, a servicer by its methods, anything else by its type.
DESCRIBE = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys, types
    from google.protobuf import message
    from google.protobuf.internal import enum_type_wrapper

    def describe(package, value):
        if isinstance(value, type) and issubclass(value, message.Message):
            return "message " + value.DESCRIPTOR.full_name
        if isinstance(value, enum_type_wrapper.EnumTypeWrapper):
            return "enum " + value.DESCRIPTOR.full_name + " " + ",".join(value.keys())
        if isinstance(value, types.ModuleType):
            return "module " + value.__name__[len(package):]
        if isinstance(value, type):
            methods = sorted(n for n in vars(value) if not n.startswith("_"))
            return "class " + value.__name__ + " " + ",".join(methods)
        if isinstance(value, types.FunctionType):
            return "function " + value.__name__
        return type(value).__name__

    def is_public(package, name, value):
        if name.startswith("_"):
            return False
        # ``import grpc`` in the official service packages leaks ``grpc`` into dir().
        return not isinstance(value, types.ModuleType) or value.__name__.startswith(package + ".")
    """
)

# The official packages that hold generated modules, each with its public names or why it failed.
OFFICIAL = DESCRIBE + textwrap.dedent(
    """
    import temporalio.api
    from pathlib import Path

    root = Path(temporalio.api.__path__[0])
    found = {}
    for init in sorted(root.rglob("__init__.py")):
        if not any(init.parent.glob("*_pb2.py")):
            continue
        package = ".".join(("temporalio", "api", *init.parent.relative_to(root).parts))
        try:
            module = importlib.import_module(package)
        except ImportError as exc:
            found[package] = {"error": str(exc)}
            continue
        names = {
            name: describe(package, getattr(module, name))
            for name in dir(module)
            if is_public(package, name, getattr(module, name))
        }
        found[package] = {"names": names, "all": sorted(module.__all__)}
    print(json.dumps(found))
    """
)

# Imports the given names from tempyral's packages the way a user does, one statement each.
OURS = DESCRIBE + textwrap.dedent(
    """
    wanted = json.load(sys.stdin)
    found = {}
    for package, names in wanted.items():
        described = {}
        for name in names:
            scope = {}
            try:
                exec(f"from {package} import {name} as value", scope)
            except ImportError as exc:
                described[name] = f"ImportError: {exc}"
                continue
            described[name] = describe(package, scope["value"])
        exported = sorted(importlib.import_module(package).__all__)
        found[package] = {"names": described, "all": exported}
    print(json.dumps(found))
    """
)

API_ROOT = Path(tempyral.api.__path__[0])


def run(script: str, stdin: str = "") -> dict[str, dict[str, object]]:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, dict[str, object]] = json.loads(result.stdout)
    return found


def ours(official_package: str) -> str:
    return "tempyral" + official_package[len("temporalio") :]


def generated_packages() -> list[str]:
    """The tempyral.api packages with package-level exports (the generator types each one)."""
    return sorted(
        ".".join(("tempyral", "api", *p.parent.relative_to(API_ROOT).parts))
        for p in API_ROOT.rglob("__init__.pyi")
    )


def test_every_official_proto_name_imports_from_the_matching_package() -> None:
    official = run(OFFICIAL)
    compared = {p: content for p, content in official.items() if ours(p) not in NOT_GENERATED}
    # The generator's list of left-out packages names real official packages only.
    assert set(NOT_GENERATED) <= {ours(p) for p in official}
    # Every official package that imports is generated; every generated one has a counterpart.
    assert {p: c["error"] for p, c in compared.items() if "error" in c} == {}
    assert sorted(ours(p) for p in compared) == generated_packages()
    assert len(compared) >= 30

    wanted = {ours(p): sorted(c["names"]) for p, c in compared.items()}  # type: ignore[call-overload]
    found = run(OURS, json.dumps(wanted))
    report, mismatches = [], {}
    for package, content in sorted(compared.items()):
        theirs_names: dict[str, str] = content["names"]  # type: ignore[assignment]
        our_names: dict[str, str] = found[ours(package)]["names"]  # type: ignore[assignment]
        wrong = {n: (k, our_names[n]) for n, k in theirs_names.items() if our_names[n] != k}
        if wrong:
            mismatches[package] = wrong
        if content["all"] != found[ours(package)]["all"]:
            mismatches[package + " __all__"] = sorted(
                set(content["all"]) ^ set(found[ours(package)]["all"])  # type: ignore[arg-type]
            )
        same = len(theirs_names) - len(wrong)
        report.append(f"{ours(package)}: {same}/{len(theirs_names)}")
    print("\n".join(report))
    assert mismatches == {}, "\n".join(report)


def test_packages_import_nothing_until_used_and_need_no_grpc() -> None:
    """Replay runs without grpcio: every message and enum name imports with grpc unavailable."""
    script = textwrap.dedent(
        """
        import importlib, sys

        sys.modules["grpc"] = None  # as if grpcio were not installed: importing it fails
        packages = sys.argv[1:]
        for package in packages:
            module = importlib.import_module(package)
            loaded = [m for m in sys.modules if m.startswith(package + ".")]
            assert loaded == [], (package, loaded)
        for package in packages:
            module = importlib.import_module(package)
            for name in module.__all__:
                assert getattr(module, name).DESCRIPTOR.name == name, (package, name)
        exec("from tempyral.api.workflowservice.v1 import *")
        assert "StartWorkflowExecutionRequest" in dir()
        assert "WorkflowServiceStub" not in dir()
        import tempyral.api.workflowservice.v1 as service
        assert "GetSystemInfoRequest" in dir(service)
        assert "WorkflowServiceStub" not in dir(service)
        try:
            from tempyral.api.workflowservice.v1 import WorkflowServiceStub
        except ModuleNotFoundError as exc:
            print(exc)
        assert sys.modules["grpc"] is None
        """
    )
    packages = generated_packages()
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script, *packages],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "WorkflowServiceStub is a gRPC service stub and needs grpcio" in result.stdout
    assert "pip install 'tempyral-protos[grpc]'" in result.stdout


def test_stub_names_work_with_grpc() -> None:
    import grpc

    from tempyral.api.workflowservice.v1 import (
        GetSystemInfoRequest,
        WorkflowServiceStub,
        request_response_pb2,
    )

    assert GetSystemInfoRequest is request_response_pb2.GetSystemInfoRequest
    with grpc.insecure_channel("127.0.0.1:1") as channel:
        assert callable(WorkflowServiceStub(channel).GetSystemInfo)


@pytest.mark.parametrize("package", generated_packages())
def test_typing_declares_the_runtime_names(package: str) -> None:
    """The ``__init__.pyi`` that type checkers read re-exports what runs, from where it runs."""
    module = __import__(package, fromlist=["__all__"])
    stub = API_ROOT.joinpath(*package.split(".")[2:], "__init__.pyi")
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    declared = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                assert alias.asname == alias.name, "an explicit re-export (`import X as X`)"
                declared[alias.name] = f"{package}.{node.module}"
    assert sorted(declared) == sorted(module.__all__)
    for name, defined_in in declared.items():
        assert getattr(importlib.import_module(defined_in), name) is getattr(module, name)
