"""The official SDK's WorkflowHistory, for tempyral.client's history tests (its own process).

python history_tool.py fetch <target> <workflow_id> <run_id>   prints WorkflowHistory.to_json()
python history_tool.py parse <json_file> <workflow_id>         prints what from_json read
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory


async def fetch(target: str, workflow_id: str, run_id: str) -> None:
    client = await Client.connect(target)
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    print(history.to_json())


def parse(path: str, workflow_id: str) -> None:
    history = WorkflowHistory.from_json(workflow_id, Path(path).read_text())
    summary = {
        "workflow_id": history.workflow_id,
        "run_id": history.run_id,
        "event_types": [EventType.Name(event.event_type) for event in history.events],
        "serialized": [
            event.SerializeToString(deterministic=True).hex() for event in history.events
        ],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "fetch":
        asyncio.run(fetch(*args))
    else:
        parse(*args)
