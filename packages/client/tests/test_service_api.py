"""The public surface of tempyral.service: names, defaults and RPC methods match the official SDK.

The official ``temporalio`` is imported here for comparison only, inside the tests: importing it
at collection would register its schema in protobuf's default pool before other packages' tests
run (tempyral-protos checks that pool is free of Temporal types).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from types import ModuleType

import grpc
import pytest

import tempyral.envconfig
import tempyral.service
from tempyral.api.workflowservice.v1 import request_response_pb2 as wf
from tempyral.api.workflowservice.v1 import service_pb2 as wf_service
from tempyral.exceptions import TemporalError
from tempyral.service import (
    ConnectConfig,
    KeepAliveConfig,
    RetryConfig,
    RPCError,
    RPCStatusCode,
    ServiceClient,
    TLSConfig,
)
from tempyral.service._stubgen import STUB_PATH, render

SERVICE_NAMES = [
    "CloudService",
    "ConnectConfig",
    "DnsLoadBalancingConfig",
    "GrpcCompression",
    "HealthCheckRequest",
    "HealthCheckResponse",
    "HealthService",
    "HttpConnectProxyConfig",
    "KeepAliveConfig",
    "LOG_PROTOS",
    "MockHandler",
    "MockTransport",
    "OperatorService",
    "PayloadLimitViolation",
    "PayloadLimitsConfig",
    "RPCError",
    "RPCStatusCode",
    "RetryConfig",
    "ServiceClient",
    "ServiceRequest",
    "ServiceResponse",
    "TLSConfig",
    "TestService",
    "WorkflowService",
    "__version__",
    "logger",
    "payload_limit_violations",
]
ENVCONFIG_NAMES = [
    "ClientConfig",
    "ClientConfigProfile",
    "ClientConfigProfileDict",
    "ClientConfigTLS",
    "ClientConfigTLSDict",
    "ClientConnectConfig",
    "ConfigError",
    "DataSource",
]


@pytest.fixture
def official() -> ModuleType:
    return importlib.import_module("temporalio.service")


def test_public_names_are_what_we_mean() -> None:
    assert sorted(tempyral.service.__all__) == sorted(SERVICE_NAMES)
    assert sorted(tempyral.envconfig.__all__) == sorted(ENVCONFIG_NAMES)
    for module in (tempyral.service, tempyral.envconfig):
        for name in module.__all__:
            assert hasattr(module, name), name


def test_names_shared_with_the_official_sdk_exist(official: ModuleType) -> None:
    ours = set(tempyral.service.__all__)
    theirs = {
        name
        for name in dir(official)
        if not name.startswith("_")
        and getattr(getattr(official, name), "__module__", "") == official.__name__
    }
    assert theirs - ours == set()


@pytest.mark.parametrize(
    "service",
    ["WorkflowService", "OperatorService", "CloudService", "TestService", "HealthService"],
)
def test_every_rpc_of_the_official_services_is_a_method(service: str) -> None:
    ours = getattr(tempyral.service, service)
    # All but the workflow service get their RPCs with their first instance; this test may run
    # before one was made.
    ours(None)
    theirs = getattr(importlib.import_module("temporalio.bridge.services_generated"), service)

    def rpcs(cls: type) -> set[str]:
        return {
            name
            for name, member in inspect.getmembers(cls, inspect.iscoroutinefunction)
            if not name.startswith("_")
        }

    assert rpcs(ours) == rpcs(theirs)
    for name in rpcs(ours):
        params = list(inspect.signature(getattr(ours, name)).parameters)
        assert params == ["self", "req", "retry", "metadata", "timeout"]


def test_workflow_service_methods_come_from_the_descriptor() -> None:
    descriptor = wf_service.DESCRIPTOR.services_by_name["WorkflowService"]
    assert len(descriptor.methods) > 100
    for method in descriptor.methods:
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in method.name).lstrip("_")
        assert callable(getattr(tempyral.service.WorkflowService, snake)), method.name


def test_typing_stub_matches_the_descriptors() -> None:
    assert STUB_PATH.read_text() == render(), (
        "_services.pyi is stale: run `python -m tempyral.service._stubgen`"
    )


def test_config_defaults_match_the_official_sdk(official: ModuleType) -> None:
    assert dataclasses.asdict(RetryConfig()) == dataclasses.asdict(official.RetryConfig())
    assert dataclasses.asdict(KeepAliveConfig.default) == dataclasses.asdict(
        official.KeepAliveConfig.default
    )
    assert [f.name for f in dataclasses.fields(TLSConfig)] == [
        "server_root_ca_cert",
        "domain",
        "client_cert",
        "client_private_key",
    ]
    ours = ConnectConfig(target_host="h:1")
    theirs = official.ConnectConfig(target_host="h:1")
    for name in (
        "api_key",
        "tls",
        "retry_config",
        "keep_alive_config",
        "rpc_metadata",
        "lazy",
        "http_connect_proxy_config",
        "dns_load_balancing_config",
        "connect_timeout",
    ):
        mine, official_value = getattr(ours, name), getattr(theirs, name)
        if dataclasses.is_dataclass(mine):
            mine, official_value = dataclasses.asdict(mine), dataclasses.asdict(official_value)
        assert mine == official_value, name
    assert ours.identity == theirs.identity  # pid@hostname


def test_status_codes_are_grpc_codes(official: ModuleType) -> None:
    assert [(c.name, c.value) for c in RPCStatusCode] == [
        (c.name, c.value) for c in official.RPCStatusCode
    ]
    for code in grpc.StatusCode:
        assert RPCStatusCode(code.value[0]).name == code.name


def test_rpc_error_carries_status_and_details() -> None:
    from tempyral.api.common.v1.grpc_status_pb2 import GrpcStatus
    from tempyral.api.errordetails.v1.message_pb2 import NamespaceNotFoundFailure

    status = GrpcStatus(code=5, message="gone")
    status.details.add().Pack(NamespaceNotFoundFailure(namespace="ns"))
    err = RPCError("gone", RPCStatusCode.NOT_FOUND, status.SerializeToString())
    assert isinstance(err, TemporalError)
    assert (str(err), err.message, err.status) == ("gone", "gone", RPCStatusCode.NOT_FOUND)
    detail = NamespaceNotFoundFailure()
    assert err.grpc_status.details[0].Unpack(detail)
    assert detail.namespace == "ns"


async def test_a_request_of_the_wrong_type_is_refused_with_the_expected_type() -> None:
    import temporalio.api.workflowservice.v1 as official_api

    client = await ServiceClient.connect(ConnectConfig(target_host="127.0.0.1:1", lazy=True))
    with pytest.raises(
        TypeError, match=r"tempyral\.api\.workflowservice\.v1.*GetSystemInfoRequest"
    ):
        await client.workflow_service.get_system_info(
            official_api.GetSystemInfoRequest()  # type: ignore[arg-type]
        )
    with pytest.raises(TypeError, match="DescribeNamespaceRequest"):
        await client.workflow_service.get_system_info(wf.DescribeNamespaceRequest())  # type: ignore[arg-type]


def test_tls_is_implied_by_an_api_key_like_the_official_sdk() -> None:
    assert ConnectConfig("h:1")._tls_config() is None
    assert ConnectConfig("h:1", api_key="k")._tls_config() == TLSConfig()
    assert ConnectConfig("h:1", api_key="k", tls=False)._tls_config() is None
    assert ConnectConfig("h:1", tls=True)._tls_config() == TLSConfig()
