"""Deterministic randomness beyond ``workflow.random()``: the seed, seed-change callbacks,
independent seeded streams and time-ordered UUIDs.

The seed comes from the run (identical under replay) and changes when the run is reset, so the
code after the reset point does not repeat the values the base run drew.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from random import Random

from tempyral.workflow._context import _Runtime, random, time_ns

__all__ = ["new_random", "random_seed", "register_random_seed_callback", "uuid7"]

_MS_MASK = (1 << 48) - 1


def random_seed() -> int:
    """The seed :py:func:`random` currently draws from (it changes when the run is reset)."""
    return _Runtime.current().workflow_random_seed()


def register_random_seed_callback(callback: Callable[[int], None]) -> None:
    """Call ``callback(new_seed)`` whenever the workflow's seed changes (after a reset), to keep
    generators of one's own in step with the workflow's randomness."""
    _Runtime.current().workflow_register_random_seed_callback(callback)


def new_random(name: str | None = None) -> Random:
    """A ``random.Random`` of its own, seeded from the workflow seed and reseeded when it changes.

    Without ``name`` it starts identical to :py:func:`random`; with one, the name is mixed into
    the seed, so differently named generators draw different sequences (the same as the official
    SDK's, value for value).
    """

    def seed_for(workflow_seed: int) -> int | str:
        return workflow_seed if name is None else f"{workflow_seed}:{name}"

    generator = Random(seed_for(random_seed()))  # noqa: S311 (deterministic on purpose)
    register_random_seed_callback(lambda seed: generator.seed(seed_for(seed)))
    return generator


def uuid7() -> uuid.UUID:
    """A version-7 UUID: 48 bits of workflow time in milliseconds, then bits from
    :py:func:`random` (deterministic, not cryptographically safe).

    UUIDs made in later workflow tasks sort after earlier ones; those made within one task share
    its time and are in no particular order.
    """
    millis = (time_ns() // 1_000_000) & _MS_MASK
    generator = random()
    # Drawn in this order (12 then 62 bits) so the values match the official SDK's.
    rand_a = generator.getrandbits(12)
    rand_b = generator.getrandbits(62)
    # uuid.UUID(version=7) is refused before Python 3.14: set version and variant bits by hand.
    return uuid.UUID(int=(millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b)
