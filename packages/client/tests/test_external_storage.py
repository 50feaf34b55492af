"""External payload storage in the data converter: what is stored, what the reference looks like,
the codec around it, contexts and errors, and that the official SDK's converter reads what we
store and the reverse (the official SDK runs in its own process, with the same file driver).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.converter import (
    ActivitySerializationContext,
    DataConverter,
    ExternalStorage,
    PayloadCodec,
    StorageDriver,
    StorageDriverActivityInfo,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
    StorageDriverWorkflowInfo,
    WorkflowSerializationContext,
)


class FileDriver(StorageDriver):
    """Stores each payload as a file named by its content hash (the claim holds the name)."""

    def __init__(self, directory: Path, name: str = "files") -> None:
        self.directory = directory
        self._name = name
        self.contexts: list[StorageDriverStoreContext] = []
        self.stored: list[Payload] = []

    def name(self) -> str:
        return self._name

    async def store(
        self, context: StorageDriverStoreContext, payloads: Sequence[Payload]
    ) -> list[StorageDriverClaim]:
        self.contexts.append(context)
        claims = []
        for payload in payloads:
            data = payload.SerializeToString()
            key = hashlib.sha256(data).hexdigest()
            (self.directory / key).write_bytes(data)
            self.stored.append(payload)
            claims.append(StorageDriverClaim(claim_data={"key": key}))
        return claims

    async def retrieve(
        self, context: StorageDriverRetrieveContext, claims: Sequence[StorageDriverClaim]
    ) -> list[Payload]:
        return [
            Payload.FromString((self.directory / claim.claim_data["key"]).read_bytes())
            for claim in claims
        ]


class XorCodec(PayloadCodec):
    """Flips every data byte, marking the payload so decoding can be checked."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(metadata={"encoding": b"binary/xor"}, data=_xor(p.SerializeToString()))
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [Payload.FromString(_xor(p.data)) for p in payloads]


def _xor(data: bytes) -> bytes:
    return bytes(b ^ 0x5A for b in data)


def _converter(directory: Path, threshold: int = 100, **kwargs: object) -> DataConverter:
    storage = ExternalStorage(drivers=[FileDriver(directory)], payload_size_threshold=threshold)
    return DataConverter(external_storage=storage, **kwargs)  # type: ignore[arg-type]


def _driver(converter: DataConverter) -> FileDriver:
    assert converter.external_storage is not None
    driver = converter.external_storage.drivers[0]
    assert isinstance(driver, FileDriver)
    return driver


async def test_large_payloads_become_references_and_small_ones_stay_inline(
    tmp_path: Path,
) -> None:
    converter = _converter(tmp_path)
    big = "x" * 500

    payloads = await converter.encode(["small", big])

    assert payloads[0].metadata["encoding"] == b"json/plain"
    reference = payloads[1]
    assert reference.metadata["encoding"] == b"json/protobuf"
    assert reference.metadata["messageType"] == b"temporal.api.sdk.v1.ExternalStorageReference"
    body = json.loads(reference.data)
    assert body["driverName"] == "files"
    assert set(body["claimData"]) == {"key"}
    stored = _driver(converter).stored
    assert len(stored) == 1
    assert [p.size_bytes for p in reference.external_payloads] == [stored[0].ByteSize()]
    assert await converter.decode(payloads, [str, str]) == ["small", big]


async def test_the_threshold_counts_the_serialized_payload(tmp_path: Path) -> None:
    value = "y" * 50
    size = DataConverter.default.payload_converter.to_payloads([value])[0].ByteSize()

    at = await _converter(tmp_path, threshold=size).encode([value])
    above = await _converter(tmp_path, threshold=size + 1).encode([value])

    assert at[0].metadata["encoding"] == b"json/protobuf"
    assert above[0].metadata["encoding"] == b"json/plain"


async def test_the_driver_stores_codec_encoded_bytes(tmp_path: Path) -> None:
    converter = _converter(tmp_path, payload_codec=XorCodec())

    payloads = await converter.encode(["z" * 500])

    assert payloads[0].metadata["encoding"] == b"json/protobuf"  # the reference is not encoded
    assert _driver(converter).stored[0].metadata["encoding"] == b"binary/xor"
    assert await converter.decode(payloads, [str]) == ["z" * 500]


async def test_failures_memos_and_wrappers_go_through_storage(tmp_path: Path) -> None:
    converter = _converter(tmp_path)
    from tempyral.api.failure.v1.message_pb2 import Failure
    from tempyral.exceptions import ApplicationError

    failure = Failure()
    await converter.encode_failure(ApplicationError("boom", "d" * 500), failure)
    details = failure.application_failure_info.details.payloads
    memo = await converter._encode_memo({"note": "m" * 500})

    assert details[0].metadata["encoding"] == b"json/protobuf"
    assert memo.fields["note"].metadata["encoding"] == b"json/protobuf"
    error = await converter.decode_failure(failure)
    assert isinstance(error, ApplicationError)
    assert error.details == ("d" * 500,)
    assert await converter._decode_memo(memo) == {"note": "m" * 500}


async def test_contexts_tell_the_driver_what_it_stores_for(tmp_path: Path) -> None:
    converter = _converter(tmp_path)
    driver = _driver(converter)
    workflow = converter.with_context(
        WorkflowSerializationContext(namespace="ns", workflow_id="wf")
    )
    in_workflow = converter.with_context(
        ActivitySerializationContext(
            namespace="ns",
            activity_id="a1",
            activity_type="act",
            activity_task_queue="q",
            workflow_id="wf",
            workflow_type="Flow",
            is_local=False,
        )
    )
    standalone = converter.with_context(
        ActivitySerializationContext(
            namespace="ns",
            activity_id="a2",
            activity_type="act",
            activity_task_queue="q",
            workflow_id=None,
            workflow_type=None,
            is_local=False,
        )
    )
    explicit = StorageDriverStoreContext(
        target=StorageDriverWorkflowInfo(namespace="ns", id="wf", run_id="r", type="Flow")
    )

    for each in (converter, workflow, in_workflow, standalone):
        await each.encode(["v" * 500])
    await converter._with_contexts(
        WorkflowSerializationContext(namespace="ns", workflow_id="wf"), explicit
    ).encode(["w" * 500])

    assert [c.target for c in driver.contexts] == [
        None,
        StorageDriverWorkflowInfo(namespace="ns", id="wf"),
        StorageDriverWorkflowInfo(namespace="ns", id="wf", type="Flow"),
        StorageDriverActivityInfo(namespace="ns", id="a2", type="act"),
        explicit.target,
    ]


async def test_a_selector_chooses_the_driver_or_keeps_the_payload_inline(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = FileDriver(tmp_path / "a", "a"), FileDriver(tmp_path / "b", "b")
    storage = ExternalStorage(
        drivers=[first, second],
        driver_selector=lambda _ctx, p: {b"1": first, b"2": second}.get(p.data[1:2]),
        payload_size_threshold=0,
    )
    converter = DataConverter(external_storage=storage)

    payloads = await converter.encode(["1a", "2b", "3c"])

    assert [json.loads(p.data)["driverName"] for p in payloads[:2]] == ["a", "b"]
    assert payloads[2].metadata["encoding"] == b"json/plain"
    assert await converter.decode(payloads, [str, str, str]) == ["1a", "2b", "3c"]


def test_the_configuration_is_checked(tmp_path: Path) -> None:
    driver = FileDriver(tmp_path)
    with pytest.raises(ValueError, match="at least one driver"):
        ExternalStorage(drivers=[])
    with pytest.raises(ValueError, match="zero or more"):
        ExternalStorage(drivers=[driver], payload_size_threshold=-1)
    with pytest.raises(ValueError, match="no driver_selector"):
        ExternalStorage(drivers=[driver, FileDriver(tmp_path, "other")])
    with pytest.raises(ValueError, match="two drivers named 'files'"):
        ExternalStorage(drivers=[driver, FileDriver(tmp_path)], driver_selector=lambda c, p: None)


async def test_errors_name_the_driver_and_what_to_do(tmp_path: Path) -> None:
    stranger = FileDriver(tmp_path, "stranger")
    storage = ExternalStorage(drivers=[FileDriver(tmp_path)], driver_selector=lambda c, p: stranger)
    with pytest.raises(ValueError, match="'stranger', which is not one of"):
        await DataConverter(external_storage=storage).encode(["x" * 300_000])

    written = await _converter(tmp_path).encode(["q" * 500])
    other = DataConverter(
        external_storage=ExternalStorage(drivers=[FileDriver(tmp_path, "elsewhere")])
    )
    with pytest.raises(ValueError, match=r"driver 'files'.*no driver of that name"):
        await other.decode(written)
    with pytest.raises(RuntimeError, match="TMPRL1105"):
        await DataConverter().decode(written)


async def test_legacy_and_codec_encoded_references_are_read(tmp_path: Path) -> None:
    converter = _converter(tmp_path, payload_codec=XorCodec())
    [reference] = await converter.encode(["l" * 500])
    key = json.loads(reference.data)["claimData"]["key"]
    legacy = Payload(
        metadata={"encoding": b"json/external-storage-reference"},
        data=json.dumps(
            {"driver_name": "files", "driver_claim": {"claim_data": {"key": key}}}
        ).encode(),
    )
    [encoded] = await XorCodec().encode([reference])
    encoded.metadata["__temporal_external_storage_reference"] = b"true"

    assert await converter.decode([legacy, encoded], [str, str]) == ["l" * 500, "l" * 500]


# --- the official SDK's converter, in its own process ---------------------------------------

_OFFICIAL = textwrap.dedent(
    """
    import asyncio, base64, hashlib, json, pathlib, sys
    from temporalio.api.common.v1 import Payload
    from temporalio.converter import (
        DataConverter, ExternalStorage, StorageDriver, StorageDriverClaim,
    )

    class FileDriver(StorageDriver):
        def __init__(self, directory):
            self.directory = pathlib.Path(directory)
        def name(self):
            return "files"
        async def store(self, context, payloads):
            claims = []
            for payload in payloads:
                data = payload.SerializeToString()
                key = hashlib.sha256(data).hexdigest()
                (self.directory / key).write_bytes(data)
                claims.append(StorageDriverClaim(claim_data={"key": key}))
            return claims
        async def retrieve(self, context, claims):
            return [
                Payload.FromString((self.directory / c.claim_data["key"]).read_bytes())
                for c in claims
            ]

    async def main(mode, directory, data):
        converter = DataConverter(
            external_storage=ExternalStorage(
                drivers=[FileDriver(directory)], payload_size_threshold=100
            )
        )
        if mode == "encode":
            payloads = await converter.encode(json.loads(data))
            print(json.dumps([base64.b64encode(p.SerializeToString()).decode() for p in payloads]))
        else:
            payloads = [Payload.FromString(base64.b64decode(p)) for p in json.loads(data)]
            print(json.dumps(await converter.decode(payloads)))

    asyncio.run(main(*sys.argv[1:]))
    """
)


def _official(mode: str, directory: Path, data: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", _OFFICIAL, mode, str(directory), data],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_official_converter_reads_our_references_and_we_read_its(tmp_path: Path) -> None:
    converter = _converter(tmp_path)
    values = ["small", "ours " * 100, {"big": "theirs " * 100}]

    ours = asyncio.run(converter.encode(values))
    read_by_official = json.loads(
        _official(
            "decode",
            tmp_path,
            json.dumps([base64.b64encode(p.SerializeToString()).decode() for p in ours]),
        )
    )
    theirs = [
        Payload.FromString(base64.b64decode(p))
        for p in json.loads(_official("encode", tmp_path, json.dumps(values)))
    ]

    assert read_by_official == values
    assert [p.metadata["encoding"] for p in theirs] == [
        b"json/plain",
        b"json/protobuf",
        b"json/protobuf",
    ]
    # Deterministic: map fields (the metadata) serialize in an order protobuf does not fix.
    assert [p.SerializeToString(deterministic=True) for p in theirs] == [
        p.SerializeToString(deterministic=True) for p in ours
    ]
    assert asyncio.run(converter.decode(theirs)) == values
