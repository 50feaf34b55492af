"""A payload codec and workflows that use every kind of workflow payload, under both SDKs.

``scripts/codec_official.py`` imports this file with ``tempyral.*`` aliased to the official
``temporalio`` modules (as ``scripts/workflow_worker.py`` does), so both SDKs run the same
source with the same codec. The codec "encrypts" (XOR with a key, enough to make a history
unreadable without it) each payload into a ``binary/encrypted`` one and records what it saw.
``HeaderInterceptor`` puts a workflow-side header on the activities and local activities the
workflow starts and shows, in their results, that the activity received it decoded (the client
then runs with ``HeaderCodecBehavior.CODEC``, so the header is encrypted in history too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from tempyral import activity, workflow
from tempyral.converter import PayloadCodec, PayloadConverter
from tempyral.exceptions import ActivityError, ApplicationError, ChildWorkflowError
from tempyral.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    StartActivityInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

SHORT = timedelta(seconds=10)
ENCRYPTED = b"binary/encrypted"
KEY = b"tempyral-codec-key"
HEADER = "clearance"
HEADER_VALUE = "top-secret-clearance"


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


def described(payload: Any) -> str:
    """A plain payload as ``encoding data`` (the data decoded as text), for a call record."""
    encoding = payload.metadata.get("encoding", b"").decode()
    return f"{encoding} {payload.data.decode(errors='replace')}"


class RecordingCodec(XorCodec):
    """:py:class:`XorCodec` that records each call, in order: ``[op, [plain payloads]]``."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[Any]] = []

    async def encode(self, payloads: Sequence[Any]) -> list[Any]:
        self.calls.append(["encode", [described(p) for p in payloads]])
        return await super().encode(payloads)

    async def decode(self, payloads: Sequence[Any]) -> list[Any]:
        decoded = await super().decode(payloads)
        self.calls.append(["decode", [described(p) for p in decoded]])
        return decoded


class BrokenCodec(XorCodec):
    """Encodes like :py:class:`XorCodec` but cannot decode anything."""

    async def decode(self, payloads: Sequence[Any]) -> list[Any]:
        raise RuntimeError("the key service is unreachable")


class _HeaderOutbound(WorkflowOutboundInterceptor):
    def start_activity(self, input: StartActivityInput) -> Any:
        input.headers = {**input.headers, HEADER: _header_payload()}
        return super().start_activity(input)

    def start_local_activity(self, input: StartLocalActivityInput) -> Any:
        input.headers = {**input.headers, HEADER: _header_payload()}
        return super().start_local_activity(input)


class _HeaderInbound(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_HeaderOutbound(outbound))


class _HeaderShown(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await super().execute_activity(input)
        header = input.headers.get(HEADER)
        seen = PayloadConverter.default.from_payloads([header])[0] if header else "no header"
        return f"{result} ({seen})"


def _header_payload() -> Any:
    return PayloadConverter.default.to_payloads([HEADER_VALUE])[0]


class HeaderInterceptor(Interceptor):
    """Workflow-side header on each (local) activity; the activity's result names what came."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _HeaderInbound

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _HeaderShown(next)


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
    """Input, memo and ``upsert_memo``, activity input/result/failure with a workflow-side
    header, local activity result (marker), child input/result/failure, update argument and
    result, signal, query, and continue-as-new input; the new run returns the steps it carried."""

    def __init__(self) -> None:
        self.finish: str | None = None
        self.steps: list[str] = []

    @workflow.run
    async def run(self, name: str, carried: list[str] | None = None) -> list[str]:
        if carried is not None:
            return [*carried, f"continued as new for {name}"]
        self.steps.append(f"memo {workflow.memo_value('owner', type_hint=str)}")
        workflow.upsert_memo({"reviewer": f"{name} reviews"})
        self.steps.append(f"upserted {workflow.memo_value('reviewer', type_hint=str)}")
        self.steps.append(
            await workflow.execute_activity(shout, f"hi {name}", start_to_close_timeout=SHORT)
        )
        self.steps.append(
            await workflow.execute_local_activity(
                shout, f"local {name}", start_to_close_timeout=SHORT
            )
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
        workflow.continue_as_new(args=[name, self.steps])

    @workflow.update
    def rename(self, new_name: str) -> str:
        self.steps.append(f"renamed {new_name}")
        return f"renamed to {new_name}"

    @workflow.signal
    def finish_with(self, text: str) -> None:
        self.finish = text

    @workflow.query
    def state(self, prefix: str) -> str:
        return f"{prefix}: {len(self.steps)} steps"


WORKFLOWS = [CodecWorkflow, CodecChild]
ACTIVITIES = [shout, refuse]
INTERCEPTORS = [HeaderInterceptor()]
