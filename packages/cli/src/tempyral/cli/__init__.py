"""The ``tempyral`` command line."""

from tempyral.cli._main import main

__all__ = ["main"]
