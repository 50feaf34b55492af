"""Histories the in-memory server writes replay in the official SDK's ``Replayer`` too.

A sample (timer + activity, signals, a child workflow, continue-as-new) is run in-process, saved
as JSON, and replayed in a separate process by ``temporalio`` against the same workflows written
for the official SDK; any replay failure there fails this test with its message.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

from tempyral import activity, workflow
from tempyral.testing._in_process import start_in_process
from tempyral.worker import Worker


@activity.defn(name="shout")
async def shout(text: str) -> str:
    return text.upper()


@workflow.defn(name="Sample")
class Sample:
    def __init__(self) -> None:
        self.notes: list[str] = []

    @workflow.run
    async def run(self, rounds: int) -> str:
        await asyncio.sleep(3600)
        loud = await workflow.execute_activity(
            shout, "quiet", start_to_close_timeout=timedelta(seconds=5)
        )
        await workflow.wait_condition(lambda: len(self.notes) >= 1)
        child = await workflow.execute_child_workflow(
            SampleChild.run, loud, id=f"{workflow.info().workflow_id}-child"
        )
        if rounds > 1:
            workflow.continue_as_new(rounds - 1)
        return f"{child} {self.notes}"

    @workflow.signal
    def note(self, text: str) -> None:
        self.notes.append(text)


@workflow.defn(name="SampleChild")
class SampleChild:
    @workflow.run
    async def run(self, text: str) -> str:
        await asyncio.sleep(60)
        return text + "!"


OFFICIAL_REPLAY = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from datetime import timedelta
    from temporalio import activity, workflow
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer

    @activity.defn(name="shout")
    async def shout(text: str) -> str:
        return text.upper()

    @workflow.defn(name="Sample")
    class Sample:
        def __init__(self) -> None:
            self.notes = []

        @workflow.run
        async def run(self, rounds: int) -> str:
            await asyncio.sleep(3600)
            loud = await workflow.execute_activity(
                shout, "quiet", start_to_close_timeout=timedelta(seconds=5)
            )
            await workflow.wait_condition(lambda: len(self.notes) >= 1)
            child = await workflow.execute_child_workflow(
                SampleChild.run, loud, id=f"{workflow.info().workflow_id}-child"
            )
            if rounds > 1:
                workflow.continue_as_new(rounds - 1)
            return f"{child} {self.notes}"

        @workflow.signal
        def note(self, text: str) -> None:
            self.notes.append(text)

    @workflow.defn(name="SampleChild")
    class SampleChild:
        @workflow.run
        async def run(self, text: str) -> str:
            await asyncio.sleep(60)
            return text + "!"

    async def main() -> None:
        histories = json.load(open(sys.argv[1]))
        replayer = Replayer(workflows=[Sample, SampleChild])
        failures = []
        for workflow_id, history in histories:
            result = await replayer.replay_workflow(
                WorkflowHistory.from_json(workflow_id, history), raise_on_replay_failure=False
            )
            if result.replay_failure is not None:
                failures.append(f"{workflow_id}: {result.replay_failure}")
        print(json.dumps({"replayed": len(histories), "failures": failures}))

    if __name__ == "__main__":
        asyncio.run(main())
        # The official SDK's native runtime can abort while the interpreter finalizes
        # (PyGILState_Release) after its work is done: leave before finalization.
        sys.stdout.flush()
        os._exit(0)
    """
)


async def test_the_official_replayer_accepts_in_process_histories(tmp_path: Path) -> None:
    async with await start_in_process() as env:
        async with Worker(
            env.client,
            task_queue="sample",
            workflows=[Sample, SampleChild],
            activities=[shout],
            build_id="official-replay-sample",
        ):
            handle = await env.client.start_workflow(
                Sample.run, 2, id="sample", task_queue="sample"
            )
            await handle.signal(Sample.note, "one")
            await env.sleep(timedelta(hours=2))
            # The second run waits for its own signal.
            await handle.signal(Sample.note, "two")
            assert await handle.result() == "QUIET! ['two']"
        histories = env.workflow_histories()
    assert len(histories) == 4  # two runs of the parent, one child each
    saved = tmp_path / "histories.json"
    saved.write_text(json.dumps([(h.workflow_id, h.to_json_dict()) for h in histories]))
    script = tmp_path / "official_replay.py"
    script.write_text(OFFICIAL_REPLAY)
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(script), str(saved)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"replayed": 4, "failures": []}
