"""Payloads, failures and search attributes cross between tempyral and the official SDK.

The official SDK runs in its own process (tests/interop/official_sdk.py) so that the two are
never imported together here. Both sides build the same values from tests/interop/cases.py;
each side's bytes must decode on the other side to the same thing, and for the same value both
SDKs must write the same proto.
"""

from __future__ import annotations

import base64
import dataclasses
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import tempyral.common
import tempyral.converter
import tempyral.exceptions
from tempyral.api.common.v1 import message_pb2 as common_v1
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.contrib.pydantic import pydantic_data_converter
from tempyral.converter import DataConverter

INTEROP = Path(__file__).parent / "interop"


def _load_cases() -> ModuleType:
    # Registered under the name the helper process imports it as, so that the values' classes
    # have the same qualified names on both sides.
    spec = importlib.util.spec_from_file_location("cases", INTEROP / "cases.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("cases", module)
    spec.loader.exec_module(module)
    return module


cases = _load_cases()


class OfficialSDK:
    """The official SDK in a child process, one JSON request per line."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(INTEROP / "official_sdk.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def call(self, op: str, **request: Any) -> Any:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(json.dumps({"op": op, **request}) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        assert line, "the official SDK helper exited; see its stderr above"
        answer = json.loads(line)
        assert answer["ok"], f"official SDK failed on {op} {request}:\n{answer['error']}"
        return answer["result"]

    def close(self) -> None:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)
        self._process.stdout.close()


@pytest.fixture(scope="module")
def official() -> Iterator[OfficialSDK]:
    sdk = OfficialSDK()
    yield sdk
    sdk.close()


def _b64(message: Any) -> str:
    return base64.b64encode(message.SerializeToString(deterministic=True)).decode()


def _parse(cls: Any, text: str) -> Any:
    return cls.FromString(base64.b64decode(text))


def _converter(*, codec: bool = False, encoded_attributes: bool = False) -> DataConverter:
    return DataConverter(
        payload_codec=cases.zlib_codec(tempyral.converter, common_v1.Payload) if codec else None,
        failure_converter_class=(
            tempyral.converter.DefaultFailureConverterWithEncodedAttributes
            if encoded_attributes
            else tempyral.converter.DefaultFailureConverter
        ),
    )


def _value_case(name: str) -> tuple[Any, Any]:
    if name in cases.VALUE_CASES:
        value_case: tuple[Any, Any] = cases.VALUE_CASES[name]
        return value_case
    message = cases.proto_cases(common_v1)[name]
    return message, type(message)


VALUE_CASES = [*cases.VALUE_CASES, "temporal_message", "user_message"]
PYDANTIC_CASES = ["pydantic", "dataclass", "datetime", "uuid", "set", "typed_dict", "str_enum"]


@pytest.mark.parametrize("name", VALUE_CASES)
async def test_official_payload_decodes_in_tempyral_and_reencodes_identically(
    official: OfficialSDK, name: str
) -> None:
    value, hint = _value_case(name)
    theirs = _parse(common_v1.Payloads, official.call("encode", case=name))

    decoded = await DataConverter.default.decode_wrapper(theirs, [hint])

    assert decoded == [value]
    assert type(decoded[0]) is type(value)
    assert await DataConverter.default.encode_wrapper([value]) == theirs


@pytest.mark.parametrize("name", VALUE_CASES)
async def test_tempyral_payload_decodes_in_official_sdk(official: OfficialSDK, name: str) -> None:
    value, _ = _value_case(name)
    ours = await DataConverter.default.encode_wrapper([value])

    result = official.call("decode", case=name, payloads=_b64(ours))

    assert result["equal"], result
    assert result["type"] == type(value).__name__


@pytest.mark.parametrize("name", ["temporal_message", "user_message"])
async def test_protobuf_payload_decodes_without_type_hint(official: OfficialSDK, name: str) -> None:
    value, _ = _value_case(name)
    theirs = _parse(common_v1.Payloads, official.call("encode", case=name))

    [decoded] = await DataConverter.default.decode_wrapper(theirs)

    # The message type metadata alone finds the class: tempyral.api's for Temporal messages.
    assert type(decoded) is type(value)
    assert decoded == value


@pytest.mark.parametrize("name", PYDANTIC_CASES)
async def test_pydantic_converter_payloads_cross_both_ways(
    official: OfficialSDK, name: str
) -> None:
    value, hint = _value_case(name)
    theirs = _parse(common_v1.Payloads, official.call("encode", case=name, pydantic=True))
    ours = await pydantic_data_converter.encode_wrapper([value])

    assert ours == theirs
    assert await pydantic_data_converter.decode_wrapper(theirs, [hint]) == [value]
    assert official.call("decode", case=name, payloads=_b64(ours), pydantic=True)["equal"]


FAILURE_CASES = list(cases.failure_cases(tempyral.exceptions))
FAILURE_MODES = [
    pytest.param({}, id="plain"),
    pytest.param({"codec": True, "encoded_attributes": True}, id="codec+encoded-attributes"),
]


@pytest.mark.parametrize("mode", FAILURE_MODES)
@pytest.mark.parametrize("name", FAILURE_CASES)
async def test_failures_are_written_identically_and_read_alike(
    official: OfficialSDK, name: str, mode: dict[str, bool]
) -> None:
    converter = _converter(**mode)
    ours = Failure()
    await converter.encode_failure(cases.failure_cases(tempyral.exceptions)[name], ours)
    theirs = _parse(Failure, official.call("encode_failure", case=name, **mode))

    assert ours == theirs

    their_view = official.call("decode_failure", failure=_b64(theirs), **mode)
    our_error = await converter.decode_failure(theirs)
    assert cases.describe_error(tempyral.exceptions, our_error) == their_view


async def test_official_failure_keeps_cause_chain_and_stack_traces(official: OfficialSDK) -> None:
    theirs = _parse(Failure, official.call("encode_failure", case="activity"))

    error = await DataConverter.default.decode_failure(theirs)

    assert isinstance(error, tempyral.exceptions.ActivityError)
    assert error.retry_state is tempyral.exceptions.RetryState.MAXIMUM_ATTEMPTS_REACHED
    assert isinstance(error.cause, tempyral.exceptions.ApplicationError)
    assert error.cause.type == "Flaky"
    assert error.failure is not None
    assert "cases.py" in error.failure.stack_trace


async def test_search_attributes_cross_both_ways(official: OfficialSDK) -> None:
    ours = common_v1.SearchAttributes()
    tempyral.converter.encode_search_attributes(
        cases.typed_search_attributes(tempyral.common), ours
    )
    theirs = _parse(common_v1.SearchAttributes, official.call("encode_search_attributes"))

    assert ours == theirs
    their_view = official.call("decode_search_attributes", search_attributes=_b64(ours))
    typed = tempyral.converter.decode_typed_search_attributes(theirs)
    untyped = tempyral.converter.decode_search_attributes(theirs)
    assert cases.describe_search_attributes(typed) == their_view["typed"]
    assert {
        name: [cases.describe_value(v) for v in values] for name, values in sorted(untyped.items())
    } == their_view["untyped"]


async def test_retry_policy_and_priority_protos_match(official: OfficialSDK) -> None:
    theirs = official.call("encode_common")
    retry = common_v1.RetryPolicy()
    cases.retry_policy(tempyral.common).apply_to_proto(retry)
    priority = tempyral.common.Priority(priority_key=2, fairness_key="t", fairness_weight=0.5)

    assert retry == _parse(common_v1.RetryPolicy, theirs["retry_policy"])
    assert priority._to_proto() == _parse(common_v1.Priority, theirs["priority"])
    # The default maximum interval (100x the initial one) is written out, as the official SDK does.
    assert tempyral.common.RetryPolicy.from_proto(retry) == dataclasses.replace(
        cases.retry_policy(tempyral.common), maximum_interval=timedelta(seconds=150)
    )


async def test_codec_encoded_header_matches(official: OfficialSDK) -> None:
    converter = _converter(codec=True)
    header = converter.payload_converter.to_payload({"trace": "abc"})

    ours = await converter._transform_outbound_payload(header)

    assert ours == _parse(common_v1.Payload, official.call("encode_header", codec=True))
    assert await converter._transform_inbound_payload(ours) == header
