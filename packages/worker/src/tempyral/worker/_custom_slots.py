"""The slot pool over a user's :py:class:`CustomSlotSupplier`.

The user's code is called around every poll and task, so its errors must never stop the worker
or lose a task, as in the official SDK: an error from ``reserve_slot`` is logged and the
reservation tried again after a pause (the official core loops the same way); an error from
``try_reserve_slot`` counts as "no slot"; errors from ``mark_slot_used`` and ``release_slot``
are logged and the task goes on.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Literal, cast

from tempyral.common import WorkerDeploymentVersion, logger
from tempyral.worker._slots import SlotPermit, SlotPool
from tempyral.worker._tuner import CustomSlotSupplier, SlotInfo, SlotReleaseContext
from tempyral.worker._tuner import SlotPermit as UserSlotPermit

__all__ = ["CustomSlots", "ReserveContext"]

_RETRY_FIRST_SECONDS = 0.1
_RETRY_MAX_SECONDS = 2.0


@dataclass
class ReserveContext:
    """The :py:class:`SlotReserveContext` a worker passes to a custom supplier."""

    slot_type: Literal["workflow", "activity", "local-activity"]
    task_queue: str
    worker_identity: str
    worker_build_id: str
    worker_deployment_version: WorkerDeploymentVersion | None
    is_sticky: bool


@dataclass(frozen=True)
class MarkUsedContext:
    """The :py:class:`SlotMarkUsedContext` a worker passes to a custom supplier."""

    slot_info: SlotInfo
    permit: UserSlotPermit


class CustomSlots(SlotPool):
    """Reserves and releases through the user's supplier, shielding the worker from its errors."""

    def __init__(self, supplier: CustomSlotSupplier, context: ReserveContext) -> None:
        self.kind = context.slot_type
        self._supplier = supplier
        self._context = context
        self._in_use = 0

    @property
    def size(self) -> int | None:
        return None

    @property
    def in_use(self) -> int:
        return self._in_use

    def _context_for(self, sticky: bool) -> ReserveContext:
        if sticky == self._context.is_sticky:
            return self._context
        return dataclasses.replace(self._context, is_sticky=sticky)

    def try_reserve(self, *, sticky: bool = False) -> SlotPermit | None:
        try:
            user_permit = self._supplier.try_reserve_slot(self._context_for(sticky))
        except Exception:
            logger.opt(exception=True).warning(
                "Error in custom slot supplier `try_reserve_slot` ({} slot); counted as no slot",
                self.kind,
            )
            return None
        return None if user_permit is None else self._issued(user_permit)

    async def reserve(self, *, sticky: bool = False) -> SlotPermit:
        pause = _RETRY_FIRST_SECONDS
        while True:
            try:
                user_permit = await self._supplier.reserve_slot(self._context_for(sticky))
            except Exception:
                logger.opt(exception=True).warning(
                    "Error in custom slot supplier `reserve_slot` ({} slot); retrying in {}s",
                    self.kind,
                    pause,
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, _RETRY_MAX_SECONDS)
                continue
            return self._issued(user_permit)

    def _issued(self, user_permit: UserSlotPermit) -> SlotPermit:
        self._in_use += 1
        self._changed()
        return SlotPermit(self, user_permit)

    def _mark_used(self, permit: SlotPermit) -> None:
        try:
            self._supplier.mark_slot_used(
                MarkUsedContext(slot_info=_info(permit), permit=_user_permit(permit))
            )
        except Exception:
            logger.opt(exception=True).warning(
                "Error in custom slot supplier `mark_slot_used` ({} slot)", self.kind
            )

    def _give_back(self, permit: SlotPermit) -> None:
        self._in_use -= 1
        self._changed()
        try:
            self._supplier.release_slot(
                SlotReleaseContext(
                    slot_info=_info(permit) if permit.info is not None else None,
                    permit=_user_permit(permit),
                )
            )
        except Exception:
            logger.opt(exception=True).warning(
                "Error in custom slot supplier `release_slot` ({} slot)", self.kind
            )


def _info(permit: SlotPermit) -> SlotInfo:
    # Set by the task handlers to the *Slot dataclasses of ``_slots``, which match the protocols.
    return cast("SlotInfo", permit.info)


def _user_permit(permit: SlotPermit) -> UserSlotPermit:
    # Whatever the user's reserve_slot returned is handed back to it unchanged.
    return cast("UserSlotPermit", permit.user_permit)
