"""tempyral's worker runtime (mirrors ``temporalio.worker``).

The runtime is being built; this package currently provides only its place in the namespace and
its dependencies.
"""

__all__: list[str] = []
