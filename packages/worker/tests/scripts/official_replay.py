"""Replay history files in the OFFICIAL ``temporalio`` Replayer (a process of its own).

    python official_replay.py WORKFLOWS_FILE HISTORY.json [HISTORY.json ...]

``tempyral.workflow`` and ``tempyral.common`` are aliased to the official modules so that the
workflows file runs unchanged. Each history file is ``{"workflow_id": ..., "history": {...}}``.
Prints ``OK <n>`` and exits 0 when every history replays.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import temporalio.common
import temporalio.workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner


async def main() -> None:
    sys.modules["tempyral.workflow"] = temporalio.workflow
    sys.modules["tempyral.common"] = temporalio.common
    spec = importlib.util.spec_from_file_location("replayed_workflows", sys.argv[1])
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["replayed_workflows"] = module
    spec.loader.exec_module(module)
    if hasattr(module, "MidFlight"):  # the patching workflows: the newest code replays all
        module.MidFlight.patched_code = True
    replayer = Replayer(workflows=module.WORKFLOWS, workflow_runner=UnsandboxedWorkflowRunner())
    histories = []
    for path in sys.argv[2:]:
        data = json.loads(Path(path).read_text())
        histories.append(WorkflowHistory.from_json(data["workflow_id"], data["history"]))

    async def each() -> AsyncIterator[WorkflowHistory]:
        for history in histories:
            yield history

    results = await replayer.replay_workflows(each(), raise_on_replay_failure=False)
    failures = {run_id: repr(err) for run_id, err in results.replay_failures.items()}
    print(f"OK {len(histories)}" if not failures else f"FAILED {failures}", flush=True)
    sys.stdout.flush()
    os._exit(0 if not failures else 1)  # the native runtime may crash while finalizing


if __name__ == "__main__":
    asyncio.run(main())
