"""A payload codec and workflows that use every kind of workflow payload, under both SDKs.

``scripts/codec_official.py`` imports this file with ``tempyral.*`` aliased to the official
``temporalio`` modules (as ``scripts/workflow_worker.py`` does), so both SDKs run the same
source with the same codec. The codec "encrypts" (XOR with a key, enough to make a history
unreadable without it) each payload into a ``binary/encrypted`` one and records what it saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from tempyral import activity, workflow
from tempyral.converter import PayloadCodec
from tempyral.exceptions import ActivityError, ApplicationError, ChildWorkflowError

SHORT = timedelta(seconds=10)
ENCRYPTED = b"binary/encrypted"
KEY = b"tempyral-codec-key"


def xor(data: bytes) -> bytes:
    return bytes(byte ^ KEY[index % len(KEY)] for index, byte in enumerate(data))


class XorCodec(PayloadCodec):
    """Each payload becomes a ``binary/encrypted`` payload holding the original, XORed."""

    def __init__(self) -> None:
        self.encoded = 0
        self.decoded = 0

    async def encode(self, payloads: Sequence[Any]) -> list[Any]:
        self.encoded += len(payloads)
        return [
            type(p)(metadata={"encoding": ENCRYPTED}, data=xor(p.SerializeToString()))
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Any]) -> list[Any]:
        self.decoded += len(payloads)
        decoded = []
        for p in payloads:
            if p.metadata.get("encoding") != ENCRYPTED:
                raise ValueError(f"not an encrypted payload: {p.metadata.get('encoding')!r}")
            plain = type(p)()
            plain.ParseFromString(xor(p.data))
            decoded.append(plain)
        return decoded


class BrokenCodec(XorCodec):
    """Encodes like :py:class:`XorCodec` but cannot decode anything."""

    async def decode(self, payloads: Sequence[Any]) -> list[Any]:
        raise RuntimeError("the key service is unreachable")


@activity.defn
async def shout(text: str) -> str:
    return text.upper()


@activity.defn
async def refuse(text: str) -> None:
    raise ApplicationError(f"refused {text}", {"secret": text}, non_retryable=True)


@workflow.defn
class CodecChild:
    @workflow.run
    async def run(self, text: str) -> str:
        if text == "fail":
            raise ApplicationError("child failed on purpose", non_retryable=True)
        return f"child got {text}"


@workflow.defn
class CodecWorkflow:
    """Input, memo, activity input/result/failure, child input/result/failure, signal, query."""

    def __init__(self) -> None:
        self.finish: str | None = None
        self.steps: list[str] = []

    @workflow.run
    async def run(self, name: str) -> list[str]:
        self.steps.append(f"memo {workflow.memo_value('owner', type_hint=str)}")
        self.steps.append(
            await workflow.execute_activity(shout, f"hi {name}", start_to_close_timeout=SHORT)
        )
        try:
            await workflow.execute_activity(refuse, name, start_to_close_timeout=SHORT)
        except ActivityError as err:
            cause = err.cause
            assert isinstance(cause, ApplicationError)
            self.steps.append(f"activity failed: {cause.message} {cause.details[0]}")
        wid = workflow.info().workflow_id
        self.steps.append(
            await workflow.execute_child_workflow(CodecChild.run, name, id=f"{wid}-ok")
        )
        try:
            await workflow.execute_child_workflow(CodecChild.run, "fail", id=f"{wid}-fail")
        except ChildWorkflowError as err:
            self.steps.append(f"child failed: {err.cause}")
        await workflow.wait_condition(lambda: self.finish is not None)
        self.steps.append(f"signal {self.finish}")
        if self.finish == "fail":
            raise ApplicationError(f"failed for {name}", {"secret": name}, non_retryable=True)
        return self.steps

    @workflow.signal
    def finish_with(self, text: str) -> None:
        self.finish = text

    @workflow.query
    def state(self, prefix: str) -> str:
        return f"{prefix}: {len(self.steps)} steps"


WORKFLOWS = [CodecWorkflow, CodecChild]
ACTIVITIES = [shout, refuse]
