from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity
from temporalio.exceptions import ApplicationError


@dataclass
class Order:
    order_id: str
    quantity: int


@activity.defn
async def reserve(order: Order) -> str:
    if order.quantity <= 0:
        message = f"bad quantity {order.quantity}"
        raise ApplicationError(message, non_retryable=True, type="BadOrder")
    return f"reserved {order.quantity} for {order.order_id}"


@activity.defn(name="charge")
def charge_card(amount: int) -> int:
    info = activity.info()
    if info.attempt < 2:
        raise RuntimeError("card network busy")
    return amount * 100
