"""The official SDK's side of the codec tests, in its own process (``codec_workflows.py``).

python codec_official.py worker --target HOST:PORT --task-queue QUEUE
    runs CodecWorkflow and CodecChild on an official worker whose client has XorCodec and
    encoded failure attributes; prints READY, stops when stdin closes.
python codec_official.py replay --history FILE --workflow-id ID
    replays a history (JSON) in the official Replayer with the same converter; prints
    REPLAYED, or the failure and exits 1.
python codec_official.py record --target HOST:PORT --task-queue QUEUE
    runs the workflows (local activities only) on an official worker whose codec records its calls;
    prints READY, and when stdin closes prints ``CALLS <json>`` (see RecordingCodec).

Clients run with ``HeaderCodecBehavior.CODEC`` and the workers with ``INTERCEPTORS``, as the
tests do on tempyral's side.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parent.parent / "codec_workflows.py"


def load_shared() -> Any:
    import temporalio.activity
    import temporalio.converter
    import temporalio.exceptions
    import temporalio.worker
    import temporalio.workflow

    sys.modules["tempyral.worker"] = temporalio.worker
    sys.modules["tempyral.workflow"] = temporalio.workflow
    sys.modules["tempyral.activity"] = temporalio.activity
    sys.modules["tempyral.converter"] = temporalio.converter
    sys.modules["tempyral.exceptions"] = temporalio.exceptions
    spec = importlib.util.spec_from_file_location("codec_workflows", SHARED)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["codec_workflows"] = module
    spec.loader.exec_module(module)
    return module


def converter(shared: Any, codec: Any = None) -> Any:
    import temporalio.converter

    return dataclasses.replace(
        temporalio.converter.DataConverter.default,
        payload_codec=codec or shared.XorCodec(),
        failure_converter_class=temporalio.converter.DefaultFailureConverterWithEncodedAttributes,
    )


async def run_worker(args: argparse.Namespace, shared: Any, codec: Any = None) -> None:
    from temporalio.client import Client, HeaderCodecBehavior
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker

    client = await Client.connect(
        args.target,
        data_converter=converter(shared, codec),
        header_codec_behavior=HeaderCodecBehavior.CODEC,
    )
    worker = Worker(
        client,
        task_queue=args.task_queue,
        workflows=shared.WORKFLOWS,
        activities=shared.ACTIVITIES,
        # Recording: local activities only, so the test decides when the activity completes.
        no_remote_activities=codec is not None,
        interceptors=shared.INTERCEPTORS,
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.read(1) else None)
    async with worker:
        print("READY", flush=True)
        await stop.wait()


async def replay(args: argparse.Namespace, shared: Any) -> int:
    from temporalio.client import HeaderCodecBehavior, WorkflowHistory
    from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

    history = WorkflowHistory.from_json(args.workflow_id, Path(args.history).read_text())
    replayer = Replayer(
        workflows=shared.WORKFLOWS,
        data_converter=converter(shared),
        interceptors=shared.INTERCEPTORS,
        header_codec_behavior=HeaderCodecBehavior.CODEC,
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    if result.replay_failure is not None:
        print(f"FAILED: {result.replay_failure!r}", flush=True)
        return 1
    print("REPLAYED", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["worker", "replay", "record"])
    parser.add_argument("--target")
    parser.add_argument("--task-queue")
    parser.add_argument("--history")
    parser.add_argument("--workflow-id")
    args = parser.parse_args()
    shared = load_shared()
    if args.mode == "worker":
        asyncio.run(run_worker(args, shared))
        return 0
    if args.mode == "record":
        codec = shared.RecordingCodec()
        asyncio.run(run_worker(args, shared, codec))
        print(f"CALLS {json.dumps(codec.calls)}", flush=True)
        # The official core can abort at interpreter exit; everything is printed by now.
        os._exit(0)
    return asyncio.run(replay(args, shared))


if __name__ == "__main__":
    sys.exit(main())
