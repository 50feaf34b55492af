"""Data conversion: values to payloads, payload codecs, and exceptions to failures (mirrors
``temporalio.converter``).

- :py:class:`PayloadConverter` turns values into ``Payload`` protos and back; the default one
  writes the encodings every Temporal SDK reads (``binary/null``, ``binary/plain``,
  ``json/protobuf``, ``binary/protobuf``, ``json/plain``).
- :py:class:`PayloadCodec` transforms payload bytes (compression, encryption).
- :py:class:`ExternalStorage` with :py:class:`StorageDriver` keeps large payloads outside
  the history, leaving references in their place.
- :py:class:`FailureConverter` turns exceptions into ``Failure`` protos and back.
- :py:class:`DataConverter` holds the three; :py:attr:`DataConverter.default` is what the
  client and workers use unless told otherwise.
"""

from typing import TYPE_CHECKING

from tempyral.common import loaded_on_first_use
from tempyral.converter._codec import PayloadCodec
from tempyral.converter._context import (
    ActivitySerializationContext,
    NexusSerializationContext,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from tempyral.converter._data import DataConverter, default
from tempyral.converter._failure import (
    DefaultFailureConverter,
    DefaultFailureConverterWithEncodedAttributes,
    FailureConverter,
)
from tempyral.converter._json import AdvancedJSONEncoder, JSONPlainPayloadConverter
from tempyral.converter._payload import (
    BinaryNullPayloadConverter,
    BinaryPlainPayloadConverter,
    CompositePayloadConverter,
    DefaultPayloadConverter,
    EncodingPayloadConverter,
    PayloadConverter,
)
from tempyral.converter._protobuf import BinaryProtoPayloadConverter, JSONProtoPayloadConverter
from tempyral.converter._search_attributes import (
    _decode_search_attribute_value as _decode_search_attribute_value,
)
from tempyral.converter._search_attributes import (
    _encode_maybe_typed_search_attributes as _encode_maybe_typed_search_attributes,
)
from tempyral.converter._search_attributes import (
    decode_search_attributes,
    decode_typed_search_attributes,
    encode_search_attribute_values,
    encode_search_attributes,
    encode_typed_search_attribute_value,
)
from tempyral.converter._transfer import TransferTypeConverter, transfer_type_convertible
from tempyral.converter._validation import create_payload_validation_error
from tempyral.converter._value_to_type import (
    JSONTypeConverter,
    JSONTypeConverterUnhandled,
    value_to_type,
)

if TYPE_CHECKING:
    # External storage is imported on first use (PEP 562 ``__getattr__`` below): most programs
    # never configure it, and its classes would otherwise load with every client.
    from tempyral.converter._external_storage import (
        ExternalStorage as ExternalStorage,
    )
    from tempyral.converter._external_storage import (
        StorageDriver as StorageDriver,
    )
    from tempyral.converter._external_storage import (
        StorageDriverActivityInfo as StorageDriverActivityInfo,
    )
    from tempyral.converter._external_storage import (
        StorageDriverClaim as StorageDriverClaim,
    )
    from tempyral.converter._external_storage import (
        StorageDriverRetrieveContext as StorageDriverRetrieveContext,
    )
    from tempyral.converter._external_storage import (
        StorageDriverSelectContext as StorageDriverSelectContext,
    )
    from tempyral.converter._external_storage import (
        StorageDriverStoreContext as StorageDriverStoreContext,
    )
    from tempyral.converter._external_storage import (
        StorageDriverWorkflowInfo as StorageDriverWorkflowInfo,
    )
    from tempyral.converter._external_storage import (
        StorageWarning as StorageWarning,
    )

__all__ = [
    "ActivitySerializationContext",
    "AdvancedJSONEncoder",
    "BinaryNullPayloadConverter",
    "BinaryPlainPayloadConverter",
    "BinaryProtoPayloadConverter",
    "CompositePayloadConverter",
    "DataConverter",
    "DefaultFailureConverter",
    "DefaultFailureConverterWithEncodedAttributes",
    "DefaultPayloadConverter",
    "EncodingPayloadConverter",
    "ExternalStorage",
    "FailureConverter",
    "JSONPlainPayloadConverter",
    "JSONProtoPayloadConverter",
    "JSONTypeConverter",
    "JSONTypeConverterUnhandled",
    "NexusSerializationContext",
    "PayloadCodec",
    "PayloadConverter",
    "SerializationContext",
    "StorageDriver",
    "StorageDriverActivityInfo",
    "StorageDriverClaim",
    "StorageDriverRetrieveContext",
    "StorageDriverSelectContext",
    "StorageDriverStoreContext",
    "StorageDriverWorkflowInfo",
    "StorageWarning",
    "TransferTypeConverter",
    "WithSerializationContext",
    "WorkflowSerializationContext",
    "create_payload_validation_error",
    "decode_search_attributes",
    "decode_typed_search_attributes",
    "default",
    "encode_search_attribute_values",
    "encode_search_attributes",
    "encode_typed_search_attribute_value",
    "transfer_type_convertible",
    "value_to_type",
]

# JSON stays last: it accepts almost anything, so the more specific converters go first.
DefaultPayloadConverter.default_encoding_payload_converters = (
    BinaryNullPayloadConverter(),
    BinaryPlainPayloadConverter(),
    JSONProtoPayloadConverter(),
    BinaryProtoPayloadConverter(),
    JSONPlainPayloadConverter(),
)

DataConverter.default = DataConverter()

PayloadConverter.default = DataConverter.default.payload_converter

FailureConverter.default = DataConverter.default.failure_converter


_EXTERNAL_STORAGE_NAMES = frozenset(
    [
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
)


_import_on_first_use, __dir__ = loaded_on_first_use(
    __name__, dict.fromkeys(_EXTERNAL_STORAGE_NAMES, "tempyral.converter._external_storage")
)

if not TYPE_CHECKING:
    # Hidden from type checkers, which would otherwise take any misspelt name as this module's.
    __getattr__ = _import_on_first_use
