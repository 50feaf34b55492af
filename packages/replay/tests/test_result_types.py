"""A user's type checker sees the official SDK's result types for activities and children.

mypy runs (in a subprocess, as a user's CI would) on a small workflow module using
``reveal_type``; the revealed types are the activity's and the child's declared results.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

SNIPPET = """
from datetime import timedelta
from tempyral import workflow

# Activities as the workflow module sees them (their @activity.defn changes no type).
async def greet(name: str) -> str:
    return name

def count() -> int:
    return 1

async def add(a: int, b: int) -> float:
    return a + b

class Activities:
    async def shout(self, text: str) -> bytes:
        return text.encode()

@workflow.defn
class Child:
    @workflow.run
    async def run(self, n: int) -> list[str]:
        return [str(n)]

T = timedelta(seconds=5)

@workflow.defn
class Parent:
    @workflow.run
    async def run(self) -> None:
        reveal_type(await workflow.execute_activity(greet, "x", start_to_close_timeout=T))
        reveal_type(workflow.start_activity(greet, "x", start_to_close_timeout=T))
        reveal_type(await workflow.execute_activity(count, start_to_close_timeout=T))
        reveal_type(await workflow.execute_activity(add, args=[1, 2], start_to_close_timeout=T))
        reveal_type(await workflow.execute_activity("greet", "x", start_to_close_timeout=T))
        reveal_type(
            await workflow.execute_activity_method(
                Activities.shout, "x", start_to_close_timeout=T
            )
        )
        reveal_type(await workflow.execute_child_workflow(Child.run, 3))
        reveal_type(await workflow.start_child_workflow(Child.run, 3))
        reveal_type(await workflow.execute_child_workflow("Child", 3))
"""

EXPECTED = [
    "str",
    "tempyral.workflow._activities.ActivityHandle[str]",
    "int",
    "float",
    "Any",  # by name: nothing to infer from, as with the official SDK
    "bytes",
    "list[str]",
    "tempyral.workflow._children.ChildWorkflowHandle[snippet.Child, list[str]]",
    "Any",
]


def test_execute_activity_and_child_workflow_are_typed_by_their_result(tmp_path: Path) -> None:
    # mypy is pinned in the test environment (hatch.toml), so this always runs.
    (tmp_path / "snippet.py").write_text(textwrap.dedent(SNIPPET))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "snippet.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ": error:" not in result.stdout, result.stdout
    revealed = re.findall(r'Revealed type is "([^"]+)"', result.stdout)
    # Older mypy releases spell builtins in full ("builtins.str"): compare without the prefix.
    assert [t.replace("builtins.", "") for t in revealed] == EXPECTED, result.stdout
