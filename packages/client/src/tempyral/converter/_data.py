"""``DataConverter``: the payload converter, payload codec, external storage and failure converter.

Encoding runs the payload converter, then the codec, then external storage (large payloads become
references); decoding runs them the other way round. Failures are converted and then have every
payload inside them run through the codec and storage.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from typing_extensions import Self

from tempyral.api.common.v1.message_pb2 import Memo, Payload, Payloads
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.common._helpers import _arg_unset
from tempyral.converter._codec import PayloadCodec, _apply_to_failure_payloads
from tempyral.converter._context import (
    ActivitySerializationContext,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from tempyral.converter._failure import DefaultFailureConverter, FailureConverter
from tempyral.converter._payload import DefaultPayloadConverter, PayloadConverter
from tempyral.converter._storage_reference import (
    has_reference_marker,
    is_reference_payload,
    unmarked_copy,
)
from tempyral.converter._transfer import _TransferTypePayloadConverter

if TYPE_CHECKING:
    # External storage loads with the first converter that has some (or with the first use
    # of its names from ``tempyral.converter``), not with every import of the client.
    from tempyral.converter._external_storage import ExternalStorage, StorageDriverStoreContext

__all__ = ["DataConverter", "default"]


@dataclass(frozen=True)
class DataConverter(WithSerializationContext):
    """Converts and encodes payloads to/from Python values.

    Combines a :py:class:`PayloadConverter`, which converts values, with an optional
    :py:class:`PayloadCodec`, which encodes bytes, and a :py:class:`FailureConverter`.
    """

    payload_converter_class: type[PayloadConverter] = DefaultPayloadConverter
    """Class to instantiate for payload conversion (with a nullary constructor)."""

    payload_codec: PayloadCodec | None = None
    """Optional codec for encoding payload bytes."""

    failure_converter_class: type[FailureConverter] = DefaultFailureConverter
    """Class to instantiate for failure conversion."""

    payload_converter: PayloadConverter = dataclasses.field(init=False)
    """Payload converter created from :py:attr:`payload_converter_class`, wrapped with transfer
    type conversion.
    """

    failure_converter: FailureConverter = dataclasses.field(init=False)
    """Failure converter created from :py:attr:`failure_converter_class`."""

    external_storage: ExternalStorage | None = None
    """Where large payloads go instead of the history; ``None`` keeps every payload inline.

    .. warning::
        This API is experimental.
    """

    default: ClassVar[DataConverter]
    """Singleton default data converter."""

    def __post_init__(self) -> None:
        """Instantiate the payload and failure converters."""
        payload_converter = _TransferTypePayloadConverter.wrap(self.payload_converter_class())
        object.__setattr__(self, "payload_converter", payload_converter)
        object.__setattr__(self, "failure_converter", self.failure_converter_class())

    async def encode(self, values: Sequence[Any]) -> list[Payload]:
        """Convert values to payloads, then encode them with the codec.

        Returns:
            Payloads: at least one, and no more than values given.
        """
        encoded = await self._encode_payload_sequence(self.payload_converter.to_payloads(values))
        return await self._external_store_payload_sequence(encoded)

    async def decode(
        self, payloads: Sequence[Payload], type_hints: list[type] | None = None
    ) -> list[Any]:
        """Decode payloads with the codec, then convert them to values of the type hints."""
        retrieved = await self._external_retrieve_payload_sequence(payloads)
        decoded = await self._decode_payload_sequence(retrieved)
        return self.payload_converter.from_payloads(decoded, type_hints)

    async def encode_wrapper(self, values: Sequence[Any]) -> Payloads:
        """:py:meth:`encode` for the ``Payloads`` wrapper."""
        return Payloads(payloads=await self.encode(values))

    async def decode_wrapper(
        self, payloads: Payloads | None, type_hints: list[type] | None = None
    ) -> list[Any]:
        """:py:meth:`decode` for the ``Payloads`` wrapper."""
        if not payloads or not payloads.payloads:
            return []
        return await self.decode(payloads.payloads, type_hints)

    async def encode_failure(self, exception: BaseException, failure: Failure) -> None:
        """Convert the exception into ``failure``, then encode the payloads inside it."""
        self.failure_converter.to_failure(exception, self.payload_converter, failure)
        if self.payload_codec or self.external_storage:
            await _apply_to_failure_payloads(failure, self._transform_outbound_payloads)

    async def decode_failure(self, failure: Failure) -> BaseException:
        """Decode the payloads inside ``failure`` (in place), then convert it to an exception."""
        await _apply_to_failure_payloads(failure, self._transform_inbound_payloads)
        return self.failure_converter.from_failure(failure, self.payload_converter)

    def with_context(self, context: SerializationContext) -> Self:
        """This converter with the context given to every component that takes one.

        External storage without a store context gets one naming the context's workflow (or
        standalone activity), so drivers learn what they store for.
        """
        components = {
            "payload_converter": self.payload_converter,
            "payload_codec": self.payload_codec,
            "failure_converter": self.failure_converter,
        }
        with_context = {
            name: (
                component.with_context(context)
                if isinstance(component, WithSerializationContext)
                else component
            )
            for name, component in components.items()
        }
        storage = self.external_storage
        if storage is not None and storage._store_context.target is None:
            storage = storage._with_store_context(_store_context_of(context))
        unchanged = all(with_context[name] is components[name] for name in components)
        if unchanged and storage is self.external_storage:
            return self
        cloned = dataclasses.replace(self)
        for name, component in with_context.items():
            object.__setattr__(cloned, name, component)
        object.__setattr__(cloned, "external_storage", storage)
        return cloned

    # --- helpers the client and workers of this package use, as in the official SDK ---------

    def _with_store_context(self, store_ctx: StorageDriverStoreContext) -> DataConverter:
        """This converter with external storage handing ``store_ctx`` to its drivers."""
        if self.external_storage is None:
            return self
        storage = self.external_storage._with_store_context(store_ctx)
        if storage is self.external_storage:
            return self
        cloned = dataclasses.replace(self)
        object.__setattr__(cloned, "payload_converter", self.payload_converter)
        object.__setattr__(cloned, "failure_converter", self.failure_converter)
        object.__setattr__(cloned, "external_storage", storage)
        return cloned

    def _with_contexts(
        self,
        serialization_ctx: SerializationContext,
        store_ctx: StorageDriverStoreContext | None = None,
    ) -> DataConverter:
        """:py:meth:`with_context`, then ``store_ctx`` (when given) for external storage."""
        converter: DataConverter = self.with_context(serialization_ctx)
        return converter if store_ctx is None else converter._with_store_context(store_ctx)

    async def _encode_payload_sequence(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Codec-encode already converted payloads."""
        if self.payload_codec:
            return await self.payload_codec.encode(payloads)
        return list(payloads)

    async def _decode_payload_sequence(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Codec-decode payloads without converting them."""
        if self.payload_codec:
            return await self.payload_codec.decode(payloads)
        return list(payloads)

    async def _external_store_payload_sequence(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Store the large ones of codec-encoded payloads, replacing them with references."""
        if self.external_storage is None:
            return list(payloads)
        return await self.external_storage._store_payload_sequence(payloads)

    async def _external_retrieve_payload_sequence(
        self, payloads: Sequence[Payload]
    ) -> list[Payload]:
        """Replace references with the (codec-encoded) payloads their drivers stored."""
        payloads = await self._decode_marked_references(payloads)
        if self.external_storage is None:
            _reject_external_references(payloads)
            return list(payloads)
        return await self.external_storage._retrieve_payload_sequence(payloads)

    async def _decode_marked_references(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Codec-decode the references a sender's codec encoded (they carry a marker)."""
        results = list(payloads)
        for index, payload in enumerate(payloads):
            if not has_reference_marker(payload):
                continue
            _reject_external_references([payload], configured=self.external_storage is not None)
            reference = payload
            if self.payload_codec:
                [reference] = await self.payload_codec.decode([unmarked_copy(payload)])
            if not is_reference_payload(reference):
                raise RuntimeError(
                    "[TMPRL1106] A payload is marked as an encoded external storage reference, "
                    "but decoding it did not give a reference; configure the payload codec it "
                    "was written with"
                )
            results[index] = reference
        return results

    async def _transform_outbound_payload(self, payload: Payload) -> Payload:
        """Codec-encode (and maybe store) one already converted payload (a header, a memo)."""
        return (await self._transform_outbound_sequence([payload]))[0]

    async def _transform_inbound_payload(self, payload: Payload) -> Payload:
        """Retrieve and codec-decode one payload without converting it."""
        return (await self._transform_inbound_sequence([payload]))[0]

    async def _transform_outbound_payloads(self, payloads: Payloads) -> None:
        _replace(payloads, await self._transform_outbound_sequence(payloads.payloads))

    async def _transform_inbound_payloads(self, payloads: Payloads) -> None:
        _replace(payloads, await self._transform_inbound_sequence(payloads.payloads))

    async def _transform_outbound_sequence(self, payloads: Sequence[Payload]) -> list[Payload]:
        encoded = await self._encode_payload_sequence(payloads)
        return await self._external_store_payload_sequence(encoded)

    async def _transform_inbound_sequence(self, payloads: Sequence[Payload]) -> list[Payload]:
        retrieved = await self._external_retrieve_payload_sequence(payloads)
        return await self._decode_payload_sequence(retrieved)

    async def _encode_memo(self, source: Mapping[str, Any]) -> Memo:
        memo = Memo()
        await self._encode_memo_existing(source, memo)
        return memo

    async def _encode_memo_existing(self, source: Mapping[str, Any], memo: Memo) -> None:
        for key, value in source.items():
            payload = value if isinstance(value, Payload) else (await self.encode([value]))[0]
            memo.fields[key].CopyFrom(payload)

    async def _decode_memo(self, source: Memo) -> Mapping[str, Any]:
        return {key: (await self.decode([value]))[0] for key, value in source.fields.items()}

    async def _decode_memo_field(
        self, source: Memo, key: str, default: Any, type_hint: type | None
    ) -> Any:
        payload = source.fields.get(key)
        if not payload:
            if default is _arg_unset:
                raise KeyError(f"Memo does not have a value for key {key}")
            return default
        return (await self.decode([payload], [type_hint] if type_hint else None))[0]


def _reject_external_references(payloads: Sequence[Payload], *, configured: bool = False) -> None:
    """Fail on references when there is no external storage to resolve them."""
    if configured:
        return
    if any(is_reference_payload(p) or has_reference_marker(p) for p in payloads):
        raise RuntimeError(
            "[TMPRL1105] Detected externally stored payload(s), but this data converter has no "
            "external_storage: the sender stored the payload outside the history. Set "
            "DataConverter.external_storage with a driver named like the sender's."
        )


def _replace(payloads: Payloads, new: Sequence[Payload]) -> None:
    del payloads.payloads[:]
    payloads.payloads.extend(new)


def _store_context_of(context: SerializationContext) -> StorageDriverStoreContext:
    """The store context naming the workflow or standalone activity of ``context``."""
    # Called only for a converter with external storage, so the module is already loaded.
    from tempyral.converter._external_storage import (
        StorageDriverActivityInfo,
        StorageDriverStoreContext,
        StorageDriverWorkflowInfo,
    )

    if isinstance(context, WorkflowSerializationContext):
        return StorageDriverStoreContext(
            target=StorageDriverWorkflowInfo(namespace=context.namespace, id=context.workflow_id)
        )
    if isinstance(context, ActivitySerializationContext):
        if context.workflow_id:
            return StorageDriverStoreContext(
                target=StorageDriverWorkflowInfo(
                    namespace=context.namespace,
                    id=context.workflow_id,
                    type=context.workflow_type,
                )
            )
        return StorageDriverStoreContext(
            target=StorageDriverActivityInfo(
                namespace=context.namespace, id=context.activity_id, type=context.activity_type
            )
        )
    return StorageDriverStoreContext()


def default() -> DataConverter:
    """Default data converter.

    .. deprecated::
        Use :py:attr:`DataConverter.default` instead.
    """
    return DataConverter.default
