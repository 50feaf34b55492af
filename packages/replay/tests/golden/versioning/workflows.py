"""Golden workflows for the worker version a workflow task reports (``Info.get_current_build_id``,
``get_current_deployment_version``, ``is_target_worker_deployment_version_changed``). They import
``tempyral.workflow``; ``record.py`` aliases it to ``temporalio.workflow`` so that the very same
source runs under the official SDK, on one worker for the first task and another for the last."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tempyral import workflow
from tempyral.common import VersioningBehavior

FIRST_BUILD = "golden-build-a"
SECOND_BUILD = "golden-build-b"
DEPLOYMENT = "golden-deployment"


def _seen() -> list[Any]:
    info = workflow.info()
    version = info.get_current_deployment_version()
    return [
        info.get_current_build_id(),
        version.to_canonical_string() if version is not None else None,
        info.is_target_worker_deployment_version_changed(),
    ]


class _MovesBetweenWorkers:
    """Runs its first task on one worker, its last on another: both report what they saw.

    The first task starts a timer only when its worker is the first build, so a replay that
    reports another version for that task issues different commands and fails.
    """

    def __init__(self) -> None:
        self.proceed = False

    @workflow.signal
    def go(self) -> None:
        self.proceed = True

    async def _run(self) -> list[list[Any]]:
        seen = [_seen()]
        if workflow.info().get_current_build_id() in (FIRST_BUILD, "1.0"):
            await workflow.sleep(timedelta(milliseconds=10))
            seen.append(_seen())
        await workflow.wait_condition(lambda: self.proceed)
        seen.append(_seen())
        return seen


@workflow.defn
class BuildIds(_MovesBetweenWorkers):
    @workflow.run
    async def run(self) -> list[list[Any]]:
        return await self._run()


@workflow.defn
class Deployments(_MovesBetweenWorkers):
    @workflow.run
    async def run(self) -> list[list[Any]]:
        return await self._run()


@workflow.defn
class NoticesNewTarget:
    """A pinned run that waits while the deployment's current version moves on: its next task
    says the target version changed."""

    def __init__(self) -> None:
        self.proceed = False

    @workflow.signal
    def go(self) -> None:
        self.proceed = True

    @workflow.run
    async def run(self) -> list[list[Any]]:
        seen = [_seen()]
        await workflow.wait_condition(lambda: self.proceed)
        seen.append(_seen())
        return seen


@workflow.defn(versioning_behavior=VersioningBehavior.PINNED)
class PinnedNoticesNewTarget(NoticesNewTarget):
    """The same, pinned by its definition rather than by its worker's default."""

    @workflow.run
    async def run(self) -> list[list[Any]]:
        return await super().run()


WORKFLOWS = [BuildIds, Deployments, NoticesNewTarget, PinnedNoticesNewTarget]
