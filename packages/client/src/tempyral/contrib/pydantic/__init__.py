"""A data converter for pydantic v2 (mirrors ``temporalio.contrib.pydantic``).

Pass :py:data:`pydantic_data_converter` as the ``data_converter`` of the client::

    client = await Client.connect("localhost:7233", data_converter=pydantic_data_converter)

Pydantic v1 is not supported.
"""

from tempyral.contrib.pydantic._converter import (
    PydanticJSONPlainPayloadConverter,
    PydanticPayloadConverter,
    ToJsonOptions,
    pydantic_data_converter,
)

__all__ = [
    "PydanticJSONPlainPayloadConverter",
    "PydanticPayloadConverter",
    "ToJsonOptions",
    "pydantic_data_converter",
]
