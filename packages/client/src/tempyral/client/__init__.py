"""tempyral's Temporal client (mirrors ``temporalio.client``).

The connection, ``Client`` and its workflow operations are being built; this package currently
provides only its place in the namespace and its dependencies.
"""

__all__: list[str] = []
