"""The transition-coverage report over the golden histories (see ``transition_coverage.py``)."""

from __future__ import annotations

import pytest

from .transition_coverage import MACHINES, golden_report


def test_report_lists_unreached_transitions_and_every_machine_is_exercised(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = golden_report()
    text = report.text()
    with capsys.disabled():
        print("\n" + text)
    for machine in MACHINES:
        assert f"{machine.__name__}: " in text
        reached = report.reached.get(machine, set()) & set(machine.TRANSITIONS)
        assert reached, f"no golden history moves the {machine.__name__}"
    # Every move recorded is a declared one: an undeclared move would have raised instead.
    for machine, moves in report.reached.items():
        assert moves <= set(machine.TRANSITIONS), (machine, moves - set(machine.TRANSITIONS))
