"""Worker deployment versions and per-workflow versioning overrides."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from tempyral.api.deployment.v1.message_pb2 import (
    WorkerDeploymentVersion as WorkerDeploymentVersionProto,
)
from tempyral.api.enums.v1 import workflow_pb2 as _workflow_enums
from tempyral.api.workflow.v1.message_pb2 import VersioningOverride as VersioningOverrideProto

__all__ = [
    "AutoUpgradeVersioningOverride",
    "OneTimeVersioningOverride",
    "PinnedVersioningOverride",
    "VersioningOverride",
    "WorkerDeploymentVersion",
]


@dataclass(frozen=True)
class WorkerDeploymentVersion:
    """The version of a specific worker deployment."""

    deployment_name: str
    build_id: str

    def to_canonical_string(self) -> str:
        """The canonical ``<deployment_name>.<build_id>`` form."""
        return f"{self.deployment_name}.{self.build_id}"

    @staticmethod
    def from_canonical_string(canonical: str) -> WorkerDeploymentVersion:
        """Parse ``<deployment_name>.<build_id>``; the deployment name cannot contain a dot."""
        deployment_name, dot, build_id = canonical.partition(".")
        if not dot:
            raise ValueError(
                f"Cannot parse version string: {canonical}, must be in format "
                "<deployment_name>.<build_id>"
            )
        return WorkerDeploymentVersion(deployment_name, build_id)

    def _to_proto(self) -> WorkerDeploymentVersionProto:
        return WorkerDeploymentVersionProto(
            build_id=self.build_id, deployment_name=self.deployment_name
        )


class VersioningOverride(ABC):
    """Override of a worker's versioning behavior for one workflow execution."""

    @abstractmethod
    def _to_proto(self) -> VersioningOverrideProto:
        """Convert to proto representation."""


@dataclass(frozen=True)
class PinnedVersioningOverride(VersioningOverride):
    """The workflow is pinned to a specific deployment version."""

    version: WorkerDeploymentVersion

    def _to_proto(self) -> VersioningOverrideProto:
        # The deprecated fields are still set so that older servers understand the override.
        return VersioningOverrideProto(
            behavior=_workflow_enums.VERSIONING_BEHAVIOR_PINNED,
            pinned_version=self.version.to_canonical_string(),
            pinned=VersioningOverrideProto.PinnedOverride(
                version=self.version._to_proto(),
                behavior=VersioningOverrideProto.PINNED_OVERRIDE_BEHAVIOR_PINNED,
            ),
        )


@dataclass(frozen=True)
class AutoUpgradeVersioningOverride(VersioningOverride):
    """The workflow auto-upgrades to the current deployment version on its next task."""

    def _to_proto(self) -> VersioningOverrideProto:
        return VersioningOverrideProto(
            behavior=_workflow_enums.VERSIONING_BEHAVIOR_AUTO_UPGRADE, auto_upgrade=True
        )


@dataclass(frozen=True)
class OneTimeVersioningOverride(VersioningOverride):
    """Route workflow tasks to a version until one task completes there, then clear the
    override. This does not pin the workflow.

    .. warning::
        This API is experimental and requires Temporal Server 1.32 or newer.
    """

    target_version: WorkerDeploymentVersion

    def _to_proto(self) -> VersioningOverrideProto:
        return VersioningOverrideProto(
            one_time=VersioningOverrideProto.OneTimeOverride(
                target_deployment_version=self.target_version._to_proto()
            )
        )
