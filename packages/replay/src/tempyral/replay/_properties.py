"""What workflow code says about its own run: patches, search attributes, memo, current details,
and the history hints of the task it runs in.

:py:class:`RunProperties` is a collaborator of
:py:class:`~tempyral.replay._runtime.WorkflowRuntime`. Upserts take effect locally at once
(``info()`` shows them) and become commands; a patch call is decided as the official Python SDK
decides it: true when not replaying or when history has the patch's marker, the answer kept for
the rest of the run.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from tempyral.api.command.v1 import message_pb2 as command_pb2
from tempyral.api.common.v1 import message_pb2 as common_pb2
from tempyral.api.enums.v1.command_type_pb2 import CommandType
from tempyral.common import (
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
    WorkerDeploymentVersion,
)
from tempyral.converter import encode_search_attribute_values, encode_typed_search_attribute_value
from tempyral.replay import _intents as i
from tempyral.replay import _jobs as j
from tempyral.replay._interceptor_api import PatchActivationInput
from tempyral.replay._machines.upsert_search_attributes import upsert_search_attributes_command
from tempyral.workflow._event_groups import capture_event_group_markers

if TYPE_CHECKING:
    from tempyral.replay._runtime import WorkflowRuntime

__all__ = ["HistoryHints", "RunProperties"]


@dataclass(frozen=True)
class HistoryHints:
    """From the workflow task the code runs in (its ``WorkflowTaskStarted`` event)."""

    length: int = 0
    size_bytes: int = 0
    continue_as_new_suggested: bool = False
    deployment_version: WorkerDeploymentVersion | None = None
    """Of the worker that ran (or runs) the task; see ``_worker_version``."""
    target_worker_deployment_version_changed: bool = False


class RunProperties:
    """Patches, upserts and details of one run."""

    __slots__ = (
        "_patches_memo",
        "_runtime",
        "_upserted_search_attributes",
        "current_details",
        "history",
        "patches_notified",
    )

    def __init__(self, runtime: WorkflowRuntime) -> None:
        self._runtime = runtime
        self.patches_notified: set[str] = set()
        self._patches_memo: dict[str, bool] = {}
        self.current_details = ""
        self.history = HistoryHints()
        # The payloads the code upserted, as sent: continue-as-new carries them on.
        self._upserted_search_attributes: dict[str, common_pb2.Payload] = {}

    def apply(self, job: j.NotifyHasPatch | j.UpdateRandomSeed) -> None:
        if isinstance(job, j.NotifyHasPatch):
            self.patches_notified.add(job.patch_id)
        else:  # the run was reset: the official SDKs reseed at this point of the activation
            runtime = self._runtime
            runtime.reseed(job.randomness_seed)
            # workflow.new_random() instances (and the user's own) follow the new seed.
            for callback in runtime.random_seed_callbacks:
                callback(job.randomness_seed)

    # -- patches ------------------------------------------------------------------------------
    def patch(self, patch_id: str, *, deprecated: bool) -> bool:
        runtime = self._runtime
        runtime.assert_not_read_only("patch")
        known = self._patches_memo.get(patch_id)
        if known is not None:
            return known
        callback = runtime.patch_activation_callback
        # History decides on replay, and deprecation keeps its meaning: only a patch met for the
        # first time in a new task asks the worker's callback (as the official SDK does).
        if deprecated or runtime.is_replaying or patch_id in self.patches_notified:
            use_patch = not runtime.is_replaying or patch_id in self.patches_notified
        elif callback is not None:
            runtime.read_only = True  # the callback must not issue commands
            try:
                use_patch = callback(PatchActivationInput(runtime.info, patch_id))
            finally:
                runtime.read_only = False
            if type(use_patch) is not bool:
                raise TypeError("Patch activation callback must return true or false")
        else:
            use_patch = True
        self._patches_memo[patch_id] = use_patch
        if use_patch:
            markers = tuple(capture_event_group_markers(None))
            runtime.issue(i.SetPatchMarker(patch_id, deprecated, event_group_markers=markers))
        return use_patch

    # -- search attributes --------------------------------------------------------------------
    def upsert_search_attributes(
        self, attributes: Mapping[str, Sequence[Any]] | Sequence[SearchAttributeUpdate[Any]]
    ) -> None:
        runtime = self._runtime
        runtime.assert_not_read_only("upsert search attributes")
        info = runtime.info
        untyped = dict(info.search_attributes)
        typed = {pair.key.name: pair for pair in info.typed_search_attributes}
        fields: dict[str, common_pb2.Payload] = {}
        if isinstance(attributes, Mapping):
            for name, values in attributes.items():
                fields[name] = encode_search_attribute_values(cast(Any, values))
                untyped[name] = values
                pair = _pair_from_untyped(name, values)
                if pair is None:
                    if not values:
                        typed.pop(name, None)
                else:
                    typed[name] = pair
        else:
            for update in attributes:
                name = update.key.name
                fields[name] = encode_typed_search_attribute_value(update.key, update.value)
                if update.value is None:
                    typed.pop(name, None)
                    untyped[name] = []
                else:
                    typed[name] = SearchAttributePair(update.key, update.value)
                    value = update.value
                    untyped[name] = list(value) if isinstance(value, (list, tuple)) else [value]
        runtime.info = replace(
            info,
            search_attributes=untyped,
            typed_search_attributes=TypedSearchAttributes(list(typed.values())),
        )
        self._upserted_search_attributes.update(fields)
        runtime.issue(i.UpsertSearchAttributes(upsert_search_attributes_command(fields)))

    # -- continue-as-new ----------------------------------------------------------------------
    def carry_over(self, command: command_pb2.Command) -> None:
        """What continue-as-new keeps when the code does not say (as the official Core SDK does):
        the memo and retry policy the run started with, and its current search attributes (those
        it started with, overlaid with every upsert)."""
        attrs = command.continue_as_new_workflow_execution_command_attributes
        started = self._runtime.attributes
        if not attrs.memo.fields and started.memo.fields:
            attrs.memo.CopyFrom(started.memo)
        if not attrs.HasField("retry_policy") and started.HasField("retry_policy"):
            attrs.retry_policy.CopyFrom(started.retry_policy)
        if not attrs.HasField("search_attributes"):
            current = dict(started.search_attributes.indexed_fields)
            current.update(self._upserted_search_attributes)
            if current:
                attrs.search_attributes.CopyFrom(
                    common_pb2.SearchAttributes(indexed_fields=current)
                )

    # -- memo ---------------------------------------------------------------------------------
    def upsert_memo(self, updates: Mapping[str, Any]) -> None:
        runtime = self._runtime
        runtime.assert_not_read_only("upsert memo")
        converter = runtime.payload_converter
        # Converted before any command exists, so a conversion error leaves none half-made.
        upserted = {k: converter.to_payloads([v])[0] for k, v in updates.items() if v is not None}
        removed = [k for k, v in updates.items() if v is None]
        if not upserted and not removed:
            return
        memo = dict(runtime.info.raw_memo)
        fields = dict(upserted)
        memo.update(upserted)
        if removed:
            null = converter.to_payloads([None])[0]
            for key in removed:
                fields[key] = null
                memo.pop(key, None)
        runtime.info = replace(runtime.info, raw_memo=memo)
        command = command_pb2.Command(
            command_type=CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES,
            modify_workflow_properties_command_attributes=(
                command_pb2.ModifyWorkflowPropertiesCommandAttributes(
                    upserted_memo=common_pb2.Memo(fields=fields)
                )
            ),
        )
        runtime.issue(i.ModifyWorkflowProperties(command))


def warn_dict_search_attributes(attributes: object) -> None:
    if attributes and isinstance(attributes, Mapping):
        warnings.warn(
            "Dictionary-based search attributes are deprecated",
            DeprecationWarning,
            stacklevel=3,
        )


def _pair_from_untyped(name: str, values: Sequence[Any]) -> SearchAttributePair[Any] | None:
    key = SearchAttributeKey._guess_from_untyped_values(name, cast(Any, values))
    if key is None:
        return None
    if key.indexed_value_type == SearchAttributeIndexedValueType.KEYWORD_LIST:
        return SearchAttributePair(key, list(values))
    if len(values) != 1:
        return None
    return SearchAttributePair(key, values[0])
