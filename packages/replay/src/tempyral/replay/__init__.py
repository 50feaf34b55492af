"""tempyral's deterministic workflow engine and ``Replayer``.

The engine is being built; this package currently provides only its place in the namespace and
its dependencies.
"""

__all__: list[str] = []
