"""What an activity runtime uses to run activity code: the narrow hook between the two.

``tempyral.activity`` is defined at the replay layer so that workflow modules, which import it to
name their activities, load in a replay-only install (no worker, no grpc). The code that actually
runs activities — the worker, or a test environment — lives above it and reaches the activity side
only through these names:

* :py:class:`ActivityDefinition` reads what ``@activity.defn`` recorded on a function;
* :py:class:`ActivityContext` is what the runtime installs (``ActivityContext.set``) around each
  attempt so that :py:func:`tempyral.activity.info`, ``heartbeat()`` and the rest work;
* :py:class:`CompositeEvent` is the cancellation / worker-shutdown flag readable from threads and
  awaitable from async code;
* :py:class:`CancellationDetailsHolder` carries why an attempt was cancelled;
* :py:class:`CompleteAsyncError` is what ``activity.raise_complete_async()`` raises.

Activity code itself never needs this module.
"""

from tempyral.activity._context import (
    _ActivityCancellationDetailsHolder as CancellationDetailsHolder,
)
from tempyral.activity._context import _CompleteAsyncError as CompleteAsyncError
from tempyral.activity._context import _CompositeEvent as CompositeEvent
from tempyral.activity._context import _Context as ActivityContext
from tempyral.activity._definition import _Definition as ActivityDefinition

__all__ = [
    "ActivityContext",
    "ActivityDefinition",
    "CancellationDetailsHolder",
    "CompleteAsyncError",
    "CompositeEvent",
]
