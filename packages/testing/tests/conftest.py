"""Process helpers for the harness tests, as fixtures (importlib mode: no sibling imports)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest


def process_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_until_gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def alive() -> Callable[[int], bool]:
    return process_alive


@pytest.fixture
def gone() -> Callable[..., bool]:
    return wait_until_gone
