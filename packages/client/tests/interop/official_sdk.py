"""Runs the official SDK (temporalio) for interop tests, in its own process.

tempyral's tests never import temporalio: they start this script and talk to it in JSON lines
on stdin/stdout. Each request names an operation and a case from cases.py; protos travel as
base64 of their serialized bytes. Every answer is ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import traceback
import warnings
from typing import Any

import cases
import temporalio.api.common.v1 as common_v1
import temporalio.api.failure.v1 as failure_v1
import temporalio.common
import temporalio.converter
import temporalio.exceptions
from google.protobuf import symbol_database
from temporalio.contrib.pydantic import pydantic_data_converter

# The official SDK warns when the default converter meets a pydantic model; the warning is
# about its own API and does not change the bytes.
warnings.simplefilter("ignore")

# The official SDK looks messages up in protobuf's symbol database, which knows the classes that
# generated _pb2 modules register; the test's message is built at runtime, so register it the
# same way. (tempyral looks in the descriptor pools and needs no registration.)
symbol_database.Default().RegisterMessage(cases.user_message_class())


def _b64(message: Any) -> str:
    return base64.b64encode(message.SerializeToString(deterministic=True)).decode()


def _parse(cls: Any, text: str) -> Any:
    return cls.FromString(base64.b64decode(text))


def _data_converter(request: dict[str, Any]) -> temporalio.converter.DataConverter:
    if request.get("pydantic"):
        return pydantic_data_converter
    return temporalio.converter.DataConverter(
        payload_codec=(
            cases.zlib_codec(temporalio.converter, common_v1.Payload)
            if request.get("codec")
            else None
        ),
        failure_converter_class=(
            temporalio.converter.DefaultFailureConverterWithEncodedAttributes
            if request.get("encoded_attributes")
            else temporalio.converter.DefaultFailureConverter
        ),
    )


def _value_case(request: dict[str, Any]) -> tuple[Any, Any]:
    if request["case"] in cases.VALUE_CASES:
        return cases.VALUE_CASES[request["case"]]
    message = cases.proto_cases(common_v1)[request["case"]]
    return message, type(message)


async def encode(request: dict[str, Any]) -> str:
    value, _ = _value_case(request)
    return _b64(await _data_converter(request).encode_wrapper([value]))


async def decode(request: dict[str, Any]) -> dict[str, Any]:
    expected, hint = _value_case(request)
    payloads = _parse(common_v1.Payloads, request["payloads"])
    hints = [hint] if request.get("typed", True) else None
    decoded = (await _data_converter(request).decode_wrapper(payloads, hints))[0]
    return {"equal": decoded == expected, "repr": repr(decoded), "type": type(decoded).__name__}


async def encode_failure(request: dict[str, Any]) -> str:
    error = cases.failure_cases(temporalio.exceptions)[request["case"]]
    failure = failure_v1.Failure()
    await _data_converter(request).encode_failure(error, failure)
    return _b64(failure)


async def decode_failure(request: dict[str, Any]) -> Any:
    failure = _parse(failure_v1.Failure, request["failure"])
    error = await _data_converter(request).decode_failure(failure)
    return cases.describe_error(temporalio.exceptions, error)


async def encode_search_attributes(request: dict[str, Any]) -> str:
    api = common_v1.SearchAttributes()
    temporalio.converter.encode_search_attributes(
        cases.typed_search_attributes(temporalio.common), api
    )
    return _b64(api)


async def decode_search_attributes(request: dict[str, Any]) -> Any:
    api = _parse(common_v1.SearchAttributes, request["search_attributes"])
    typed = temporalio.converter.decode_typed_search_attributes(api)
    untyped = temporalio.converter.decode_search_attributes(api)
    return {
        "typed": cases.describe_search_attributes(typed),
        "untyped": {
            name: [cases.describe_value(v) for v in values]
            for name, values in sorted(untyped.items())
        },
    }


async def encode_common(request: dict[str, Any]) -> dict[str, str]:
    retry = common_v1.RetryPolicy()
    cases.retry_policy(temporalio.common).apply_to_proto(retry)
    priority = temporalio.common.Priority(priority_key=2, fairness_key="t", fairness_weight=0.5)
    return {"retry_policy": _b64(retry), "priority": _b64(priority._to_proto())}


async def encode_header(request: dict[str, Any]) -> str:
    converter = _data_converter(request)
    payload = converter.payload_converter.to_payload({"trace": "abc"})
    return _b64(await converter._transform_outbound_payload(payload))


OPERATIONS = {
    "encode": encode,
    "decode": decode,
    "encode_failure": encode_failure,
    "decode_failure": decode_failure,
    "encode_search_attributes": encode_search_attributes,
    "decode_search_attributes": decode_search_attributes,
    "encode_common": encode_common,
    "encode_header": encode_header,
}


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = {"ok": True, "result": asyncio.run(OPERATIONS[request["op"]](request))}
        except Exception:
            answer = {"ok": False, "error": traceback.format_exc()}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
