"""Golden workflow for event groups (experimental upstream). It imports ``tempyral.workflow``;
``record.py`` aliases it to ``temporalio.workflow`` so that the very same source runs under the
official SDK."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tempyral import workflow


@workflow.defn
class Grouped:
    """Commands in nested scopes, with a call's own groups, patch and local activity markers in a
    scope, a cancelled timer whose cancellation joins its group, and signal and update handlers
    whose commands join their own groups."""

    def __init__(self) -> None:
        self.poked = False
        self.marked = False

    @workflow.signal
    async def poke(self) -> None:
        await workflow.sleep(timedelta(milliseconds=5))
        self.poked = True

    @workflow.update
    def mark(self, note: str) -> str:
        workflow.upsert_memo({"note": note})
        self.marked = True
        return note

    @workflow.run
    async def run(self) -> str:
        shipping = workflow.create_event_group("shipping", label="Ship the parcel")
        billing = workflow.create_event_group("billing")
        with shipping.scope():
            await workflow.execute_activity(
                "greet", "parcel", start_to_close_timeout=timedelta(seconds=10)
            )
            with billing.scope():
                await workflow.sleep(timedelta(milliseconds=10))
        await workflow.sleep(timedelta(milliseconds=10), event_groups=[billing])
        with billing.scope():
            workflow.patched("grouped-change")  # its marker joins "billing"
            await workflow.execute_local_activity(
                "greet", "ledger", start_to_close_timeout=timedelta(seconds=10)
            )
        with shipping.scope():
            long_nap = asyncio.ensure_future(workflow.sleep(timedelta(hours=1)))
        await workflow.sleep(timedelta(milliseconds=10))  # the long nap's timer is sent
        long_nap.cancel()  # outside any scope: the cancellation still joins "shipping"
        await workflow.wait_condition(lambda: self.poked and self.marked)
        return "done"


WORKFLOWS = [Grouped]
