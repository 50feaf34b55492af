"""A file-system storage driver and a workflow with large payloads, under both SDKs.

``scripts/storage_official.py`` imports this file with ``tempyral.*`` aliased to the official
``temporalio`` modules, so both SDKs run the same workflow with the same driver. The driver
writes each payload to a file named by its content hash in a shared directory; the claim holds
the name, so a payload stored by one SDK's worker is read by the other's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from tempyral import activity, workflow
from tempyral.converter import (
    StorageDriver,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
)

THRESHOLD = 10_000
BIG = 50_000  # characters: above the threshold as a payload


class FileDriver(StorageDriver):
    """Payloads as files in ``directory``; ``payload_class`` is the SDK's ``Payload``."""

    def __init__(self, directory: Path, payload_class: Any) -> None:
        self.directory = directory
        self.payload_class = payload_class
        self.contexts: list[StorageDriverStoreContext] = []

    def name(self) -> str:
        return "shared-files"

    async def store(
        self, context: StorageDriverStoreContext, payloads: Sequence[Any]
    ) -> list[StorageDriverClaim]:
        self.contexts.append(context)
        claims = []
        for payload in payloads:
            data = payload.SerializeToString()
            key = hashlib.sha256(data).hexdigest()
            (self.directory / key).write_bytes(data)
            claims.append(StorageDriverClaim(claim_data={"key": key}))
        return claims

    async def retrieve(
        self, context: StorageDriverRetrieveContext, claims: Sequence[StorageDriverClaim]
    ) -> list[Any]:
        return [
            self.payload_class.FromString((self.directory / c.claim_data["key"]).read_bytes())
            for c in claims
        ]


@activity.defn
async def grow(text: str) -> str:
    """Returns a large result from a large input."""
    return text.upper() + "!" * BIG


@workflow.defn
class LargePayloadWorkflow:
    @workflow.run
    async def run(self, text: str) -> str:
        grown = await workflow.execute_activity(
            grow, text, start_to_close_timeout=timedelta(seconds=30)
        )
        return f"{len(text)}:{len(grown)}:" + grown[:3] + "x" * BIG


WORKFLOWS = [LargePayloadWorkflow]
ACTIVITIES = [grow]
