"""External payload storage: large payloads go to a driver's store, a small reference goes on.

The data converter runs storage after the payload codec when encoding and before it when
decoding, so a driver stores (and hands back) codec-encoded bytes. A payload at least
:py:attr:`ExternalStorage.payload_size_threshold` bytes big (serialized ``Payload`` size) is
given to a :py:class:`StorageDriver`, which returns a :py:class:`StorageDriverClaim`; the
payload is replaced by a *reference payload*: an ``ExternalStorageReference`` proto (driver
name plus the claim's data) in ``json/protobuf`` encoding, with the stored payload's size in
``external_payloads``. That is the wire format every Temporal SDK reads, so a payload stored by
one SDK is retrieved by another that has a driver of the same name.

Readers also accept two older forms: the ``json/external-storage-reference`` encoding (plain
JSON ``{"driver_name": ..., "driver_claim": {"claim_data": {...}}}``), and a reference the
codec encoded, which carries the ``__temporal_external_storage_reference`` metadata marker
(the data converter codec-decodes it first).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.api.sdk.v1.external_storage_pb2 import ExternalStorageReference
from tempyral.converter._protobuf import JSONProtoPayloadConverter
from tempyral.converter._storage_reference import (
    LEGACY_REFERENCE_ENCODING,
    is_reference_payload,
)

__all__ = [
    "ExternalStorage",
    "StorageDriver",
    "StorageDriverActivityInfo",
    "StorageDriverClaim",
    "StorageDriverRetrieveContext",
    "StorageDriverSelectContext",
    "StorageDriverStoreContext",
    "StorageDriverWorkflowInfo",
    "StorageWarning",
]

_T = TypeVar("_T")


@dataclass(frozen=True)
class StorageDriverClaim:
    """What a driver needs to find a payload it stored again (driver-defined strings).

    .. warning::
        This API is experimental.
    """

    claim_data: Mapping[str, str]
    """Driver-defined keys and values identifying the stored payload."""


@dataclass(frozen=True, kw_only=True)
class StorageDriverWorkflowInfo:
    """The workflow a payload is stored for.

    .. warning::
        This API is experimental.
    """

    namespace: str
    """Namespace of the workflow."""

    id: str | None = None
    """Workflow ID."""

    run_id: str | None = None
    """Run ID, when known."""

    type: str | None = None
    """Workflow type name, when known."""


@dataclass(frozen=True, kw_only=True)
class StorageDriverActivityInfo:
    """The (standalone) activity a payload is stored for.

    .. warning::
        This API is experimental.
    """

    namespace: str
    """Namespace of the activity."""

    id: str | None = None
    """Activity ID."""

    run_id: str | None = None
    """Run ID of a standalone activity."""

    type: str | None = None
    """Activity type name, when known."""


StorageTarget = StorageDriverActivityInfo | StorageDriverWorkflowInfo


@dataclass(frozen=True)
class StorageDriverStoreContext:
    """Given to :py:meth:`StorageDriver.store`.

    .. warning::
        This API is experimental.
    """

    target: StorageTarget | None = None
    """The workflow or activity the payload is stored for: the one being started, signaled or
    scheduled when there is one, else the workflow or activity doing the storing.
    """


@dataclass(frozen=True)
class StorageDriverSelectContext:
    """Given to :py:attr:`ExternalStorage.driver_selector`.

    .. warning::
        This API is experimental.
    """

    target: StorageTarget | None = None
    """As :py:attr:`StorageDriverStoreContext.target`."""


@dataclass(frozen=True)
class StorageDriverRetrieveContext:
    """Given to :py:meth:`StorageDriver.retrieve` (no fields yet).

    .. warning::
        This API is experimental.
    """


class StorageDriver(ABC):
    """Stores payloads somewhere outside Temporal and fetches them back by claim.

    .. warning::
        This API is experimental.
    """

    @abstractmethod
    def name(self) -> str:
        """This driver's name; references carry it, and retrieval finds the driver by it, so
        each driver of an :py:class:`ExternalStorage` needs a distinct one.
        """
        raise NotImplementedError

    def type(self) -> str:
        """The kind of driver, the same for every instance (the class name unless overridden;
        equivalent drivers in other languages should return the same string).
        """
        return type(self).__name__

    @abstractmethod
    async def store(
        self, context: StorageDriverStoreContext, payloads: Sequence[Payload]
    ) -> list[StorageDriverClaim]:
        """Store the payloads; one claim per payload, in order."""
        raise NotImplementedError

    @abstractmethod
    async def retrieve(
        self, context: StorageDriverRetrieveContext, claims: Sequence[StorageDriverClaim]
    ) -> list[Payload]:
        """Fetch the payloads of the claims; one payload per claim, in order."""
        raise NotImplementedError


class StorageWarning(RuntimeWarning):
    """Warning about external storage.

    .. warning::
        This API is experimental.
    """


DriverSelector = Callable[[StorageDriverSelectContext, Payload], StorageDriver | None]


@dataclass(frozen=True)
class ExternalStorage:
    """Which drivers store large payloads, and from what size.

    .. warning::
        This API is experimental.
    """

    drivers: Sequence[StorageDriver]
    """The drivers, at least one, with distinct names. Retrieval picks the one a reference
    names; storing needs :py:attr:`driver_selector` when there is more than one.
    """

    driver_selector: DriverSelector | None = None
    """Chooses the driver for a payload (one of :py:attr:`drivers`), or ``None`` to keep it
    inline. Only asked about payloads at or above the threshold. Without a selector the only
    driver stores every such payload.
    """

    payload_size_threshold: int = 256 * 1024
    """Serialized payload size in bytes from which a payload is stored externally (256 KiB
    unless set; zero stores every payload).
    """

    _by_name: dict[str, StorageDriver] = dataclasses.field(init=False, repr=False, compare=False)
    _store_context: StorageDriverStoreContext = dataclasses.field(
        default=StorageDriverStoreContext(), init=False, repr=False, compare=False
    )

    _reference_converter: ClassVar[JSONProtoPayloadConverter] = JSONProtoPayloadConverter()

    def __post_init__(self) -> None:
        """Check the configuration and index the drivers by name."""
        if not self.drivers:
            raise ValueError(
                "ExternalStorage needs at least one driver in drivers; without one, leave "
                "DataConverter.external_storage as None"
            )
        if self.payload_size_threshold < 0:
            raise ValueError(
                f"ExternalStorage.payload_size_threshold is {self.payload_size_threshold}; "
                "it must be zero or more (bytes)"
            )
        if len(self.drivers) > 1 and self.driver_selector is None:
            raise ValueError(
                f"ExternalStorage has {len(self.drivers)} drivers but no driver_selector; "
                "give one that picks the driver for each payload"
            )
        by_name: dict[str, StorageDriver] = {}
        for driver in self.drivers:
            name = driver.name()
            if name in by_name:
                raise ValueError(
                    f"ExternalStorage.drivers has two drivers named {name!r}; references "
                    "find their driver by name, so give each a distinct name"
                )
            by_name[name] = driver
        object.__setattr__(self, "_by_name", by_name)

    # --- contexts --------------------------------------------------------------------------

    def _with_store_context(self, context: StorageDriverStoreContext) -> ExternalStorage:
        """This configuration storing with ``context`` (a copy)."""
        if context == self._store_context:
            return self
        copy = dataclasses.replace(self)
        object.__setattr__(copy, "_store_context", context)
        return copy

    # --- storing -----------------------------------------------------------------------------

    def _driver_for(self, payload: Payload) -> StorageDriver | None:
        if payload.ByteSize() < self.payload_size_threshold:
            return None
        if self.driver_selector is None:
            return self.drivers[0]
        chosen = self.driver_selector(
            StorageDriverSelectContext(target=self._store_context.target), payload
        )
        if chosen is None:
            return None
        if self._by_name.get(chosen.name()) is not chosen:
            raise ValueError(
                f"driver_selector returned driver {chosen.name()!r}, which is not one of "
                "ExternalStorage.drivers; return one of the registered instances or None"
            )
        return chosen

    async def _store_payload_sequence(self, payloads: Sequence[Payload]) -> list[Payload]:
        """The payloads with each large one stored and replaced by a reference payload."""
        groups: dict[int, tuple[StorageDriver, list[int]]] = {}
        for index, payload in enumerate(payloads):
            driver = self._driver_for(payload)
            if driver is not None:
                groups.setdefault(id(driver), (driver, []))[1].append(index)
        results = list(payloads)
        if not groups:
            return results
        batches = list(groups.values())
        all_claims = await _gather_or_cancel(
            [
                driver.store(self._store_context, [payloads[i] for i in indices])
                for driver, indices in batches
            ]
        )
        for (driver, indices), claims in zip(batches, all_claims, strict=True):
            _check_count(driver, "claims", len(claims), len(indices))
            for index, claim in zip(indices, claims, strict=True):
                results[index] = self._reference(driver, claim, payloads[index].ByteSize())
        return results

    def _reference(self, driver: StorageDriver, claim: StorageDriverClaim, size: int) -> Payload:
        reference = ExternalStorageReference(
            driver_name=driver.name(), claim_data=dict(claim.claim_data)
        )
        payload = self._reference_converter.to_payload(reference)
        assert payload is not None  # a proto message always converts
        payload.external_payloads.add().size_bytes = size
        return payload

    # --- retrieving --------------------------------------------------------------------------

    async def _retrieve_payload_sequence(self, payloads: Sequence[Payload]) -> list[Payload]:
        """The payloads with each reference payload replaced by what its driver stored."""
        groups: dict[str, list[tuple[int, StorageDriverClaim]]] = {}
        for index, payload in enumerate(payloads):
            reference = _read_reference(payload)
            if reference is not None:
                driver_name, claim = reference
                groups.setdefault(driver_name, []).append((index, claim))
        results = list(payloads)
        if not groups:
            return results
        batches = [(self._driver_named(name), claims) for name, claims in groups.items()]
        context = StorageDriverRetrieveContext()
        all_payloads = await _gather_or_cancel(
            [driver.retrieve(context, [claim for _, claim in claims]) for driver, claims in batches]
        )
        for (driver, claims), retrieved in zip(batches, all_payloads, strict=True):
            _check_count(driver, "payloads", len(retrieved), len(claims))
            for (index, _), payload in zip(claims, retrieved, strict=True):
                results[index] = payload
        return results

    def _driver_named(self, name: str) -> StorageDriver:
        driver = self._by_name.get(name)
        if driver is None:
            raise ValueError(
                f"A payload is stored externally by driver {name!r}, but ExternalStorage has "
                f"no driver of that name (it has {sorted(self._by_name)}); register a driver "
                "named like the one that stored it"
            )
        return driver


def _read_reference(payload: Payload) -> tuple[str, StorageDriverClaim] | None:
    encoding = payload.metadata.get("encoding")
    if encoding == LEGACY_REFERENCE_ENCODING:
        legacy: Any = json.loads(payload.data)
        claim_data = legacy["driver_claim"]["claim_data"]
        return str(legacy["driver_name"]), StorageDriverClaim(claim_data=dict(claim_data))
    if not is_reference_payload(payload):
        return None
    reference = ExternalStorage._reference_converter.from_payload(payload, ExternalStorageReference)
    assert isinstance(reference, ExternalStorageReference)
    return reference.driver_name, StorageDriverClaim(claim_data=dict(reference.claim_data))


def _check_count(driver: StorageDriver, what: str, got: int, expected: int) -> None:
    if got != expected:
        raise ValueError(
            f"Storage driver {driver.name()!r} returned {got} {what} for {expected} "
            "payloads; a driver must return exactly one per input, in order"
        )


async def _gather_or_cancel(coroutines: Sequence[Coroutine[Any, Any, _T]]) -> list[_T]:
    """Run the drivers concurrently; when one fails, cancel the others before raising."""
    if len(coroutines) == 1:
        return [await coroutines[0]]
    tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
