"""Worker versioning: which build or deployment version a worker says it runs, and where.

Three strategies, as in Temporal's core SDK:

* none (the default): polls carry the build ID (``build_id=`` or one computed from the loaded
  code) in ``worker_version_capabilities`` with ``use_versioning=False``, for visibility only;
* build-ID based (``use_worker_versioning=True``, deprecated): the same with
  ``use_versioning=True``; the server must support build-ID-based versioning;
* worker deployments (``deployment_config=``): polls and responses carry
  ``deployment_options`` (deployment name, build ID, versioned or unversioned mode). Versioned
  mode needs Temporal Server 1.29.1 or newer.

``worker_version_capabilities`` and the ``worker_version`` stamp on responses are only sent to
servers that report the ``build_id_based_versioning`` capability.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from tempyral.api.common.v1.message_pb2 import WorkerVersionCapabilities, WorkerVersionStamp
from tempyral.api.deployment.v1.message_pb2 import WorkerDeploymentOptions
from tempyral.api.enums.v1 import deployment_pb2
from tempyral.common import VersioningBehavior, WorkerDeploymentVersion

__all__ = [
    "VersioningStrategy",
    "WorkerDeploymentConfig",
    "check_server_support",
    "load_default_build_id",
]

_DEPLOYMENT_VERSIONING_MIN_SERVER = (1, 29, 1)


@dataclass
class WorkerDeploymentConfig:
    """Options for configuring the Worker Versioning feature.

    .. warning::
        Experimental, as in the official SDK.
    """

    version: WorkerDeploymentVersion
    use_worker_versioning: bool
    default_versioning_behavior: VersioningBehavior = VersioningBehavior.UNSPECIFIED


@dataclass
class VersioningStrategy:
    """The versioning fields a worker puts on its polls and task responses."""

    build_id: str
    use_build_id_versioning: bool = False
    deployment: WorkerDeploymentConfig | None = None
    server_supports_build_ids: bool = field(default=False)
    """Set from the server's capabilities when the worker starts."""

    def current_version(self) -> WorkerDeploymentVersion | None:
        """The version this worker reports to workflow code for the tasks it runs (as the Core
        SDK computes it): its deployment version, else its build ID; None with neither."""
        if self.deployment is not None:
            return self.deployment.version
        return WorkerDeploymentVersion("", self.build_id) if self.build_id else None

    def default_versioning_behavior(self) -> int:
        """The behavior a versioned deployment worker reports for a workflow task (the proto
        enum's value; 0 when not versioned), as the Core SDK does when the workflow names none."""
        deployment = self.deployment
        if deployment is None or not deployment.use_worker_versioning:
            return 0
        return int(deployment.default_versioning_behavior)

    def capabilities(self) -> WorkerVersionCapabilities | None:
        if not self.server_supports_build_ids:
            return None
        return WorkerVersionCapabilities(
            build_id=self.build_id, use_versioning=self.use_build_id_versioning
        )

    def stamp(self) -> WorkerVersionStamp | None:
        if not self.server_supports_build_ids:
            return None
        return WorkerVersionStamp(
            build_id=self.build_id, use_versioning=self.use_build_id_versioning
        )

    def deployment_options(self) -> WorkerDeploymentOptions | None:
        if self.deployment is None:
            return None
        mode = (
            deployment_pb2.WORKER_VERSIONING_MODE_VERSIONED
            if self.deployment.use_worker_versioning
            else deployment_pb2.WORKER_VERSIONING_MODE_UNVERSIONED
        )
        return WorkerDeploymentOptions(
            deployment_name=self.deployment.version.deployment_name,
            build_id=self.deployment.version.build_id,
            worker_versioning_mode=mode,
        )

    def apply_to_poll(self, request: Any) -> None:
        """Set ``worker_version_capabilities`` and ``deployment_options`` on a poll request."""
        capabilities = self.capabilities()
        if capabilities is not None:
            request.worker_version_capabilities.CopyFrom(capabilities)
        options = self.deployment_options()
        if options is not None:
            request.deployment_options.CopyFrom(options)

    def apply_to_response(self, request: Any) -> None:
        """Set ``worker_version`` and ``deployment_options`` on a task response request."""
        stamp = self.stamp()
        if stamp is not None:
            request.worker_version.CopyFrom(stamp)
        options = self.deployment_options()
        if options is not None:
            request.deployment_options.CopyFrom(options)


def _parse_version(text: str) -> tuple[int, ...] | None:
    match = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", text.strip())
    return tuple(int(part) for part in match.groups()) if match else None


def check_server_support(
    strategy: VersioningStrategy, *, server_version: str, build_id_capable: bool
) -> None:
    """Record what the server supports; raise when the chosen versioning cannot work there."""
    strategy.server_supports_build_ids = build_id_capable
    if strategy.use_build_id_versioning and not build_id_capable:
        raise RuntimeError(
            "use_worker_versioning=True needs build-ID-based worker versioning, which this "
            f"server (version {server_version or 'unknown'}) does not offer; use "
            "deployment_config=WorkerDeploymentConfig(...) instead, or drop "
            "use_worker_versioning"
        )
    deployment = strategy.deployment
    if deployment is not None and deployment.use_worker_versioning:
        parsed = _parse_version(server_version)
        if parsed is not None and parsed < _DEPLOYMENT_VERSIONING_MIN_SERVER:
            minimum = ".".join(str(part) for part in _DEPLOYMENT_VERSIONING_MIN_SERVER)
            raise RuntimeError(
                f"deployment_config with use_worker_versioning=True needs Temporal Server "
                f"{minimum} or newer (Worker Deployments); this server is {server_version}. "
                "Upgrade the server, or set use_worker_versioning=False"
            )


_default_build_id: str | None = None


def load_default_build_id(*, memoize: bool = True) -> str:
    """Load the default worker build ID: a hash of the bytecode of every loaded module.

    As in the official SDK: dynamic imports after the first call do not change it, and when
    tempyral's own code cannot be read this way, an explicit ``build_id`` is required.
    """
    global _default_build_id  # noqa: PLW0603 - memoized like the official SDK's
    if memoize and _default_build_id:
        return _default_build_id
    digest = hashlib.md5(usedforsecurity=False)
    found_tempyral = False
    for name in sorted(sys.modules):
        code = _module_code(name)
        if code is None:
            continue
        found_tempyral = found_tempyral or name == "tempyral.worker"
        digest.update(code)
    if not found_tempyral:
        raise RuntimeError(
            "Cannot compute a default build ID from the loaded modules' code; pass build_id= "
            "(or deployment_config=) explicitly"
        )
    result = digest.hexdigest()
    if memoize:
        _default_build_id = result
    return result


def _module_code(name: str) -> bytes | None:
    module = sys.modules.get(name)
    if module is None:
        return None
    try:
        loader: Any = module.__loader__
        code = loader.get_code(name).co_code
        if code:
            return bytes(code)
    except Exception:  # noqa: S110 - builtins, namespace packages and C modules have no code
        pass
    cached = getattr(module, "__cached__", None)
    if isinstance(cached, str):
        try:
            with open(cached, "rb") as file:
                return file.read()
        except OSError:
            return None
    return None
