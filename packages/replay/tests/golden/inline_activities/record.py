"""Record ``history.json``: run ``ShipParcel`` on a tempyral worker against a fresh dev server.

hatch run python packages/replay/tests/golden/inline_activities/record.py
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from workflows import Parcel, ShipParcel, print_label, weigh  # noqa: E402

from tempyral.client import Client  # noqa: E402
from tempyral.testing import DevServer  # noqa: E402
from tempyral.worker import Worker  # noqa: E402


async def main() -> None:
    async with DevServer() as server:
        client = await Client.connect(server.target)
        with ThreadPoolExecutor(2) as executor:
            async with Worker(
                client,
                task_queue="inline",
                workflows=[ShipParcel],
                activities=[weigh, print_label],
                activity_executor=executor,
            ):
                handle = await client.start_workflow(
                    ShipParcel.run, Parcel("p-7", 1200), id="ship-p-7", task_queue="inline"
                )
                print(await handle.result())
        history = await handle.fetch_history()
        (HERE / "history.json").write_text(history.to_json() + "\n", encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
