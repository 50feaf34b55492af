"""A module that defines nothing the CLI can run."""

ANSWER = 42
