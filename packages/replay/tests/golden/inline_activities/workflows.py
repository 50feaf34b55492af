"""A workflow module as users write them: activities and the workflow that calls them in one file.

It imports ``tempyral.activity`` to define and name its activities, which is what a replay-only
install (tempyral-replay, no worker, no grpc) must be able to load: ``tools/replay_only.py``
replays ``history.json`` with it there, and ``test_inline_activities.py`` in the workspace.
``record.py`` wrote the history with a tempyral worker on a dev server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tempyral import activity, workflow


@dataclass
class Parcel:
    parcel_id: str
    weight_grams: int


@activity.defn
async def weigh(parcel: Parcel) -> int:
    return parcel.weight_grams


@activity.defn(name="label")
def print_label(parcel_id: str, cost_cents: int) -> str:
    return f"{parcel_id}: {cost_cents / 100:.2f}"


@workflow.defn
class ShipParcel:
    @workflow.run
    async def run(self, parcel: Parcel) -> str:
        grams = await workflow.execute_activity(
            weigh, parcel, start_to_close_timeout=timedelta(seconds=10)
        )
        await workflow.sleep(timedelta(milliseconds=10))
        return await workflow.execute_activity(
            print_label,
            args=[parcel.parcel_id, 250 + grams // 10],
            start_to_close_timeout=timedelta(seconds=10),
        )
