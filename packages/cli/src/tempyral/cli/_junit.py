"""JUnit XML for ``tempyral replay --junit-xml``: one test case per history, so CI systems show
each nondeterministic history as a failed test with the engine's diff as its text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from tempyral.cli._replay_jobs import Outcome, ReplayOutcome

__all__ = ["write_junit_xml"]


def write_junit_xml(path: Path, outcomes: Sequence[ReplayOutcome], seconds: float) -> None:
    failures = sum(o.outcome in (Outcome.NONDETERMINISM, Outcome.FAILED) for o in outcomes)
    errors = sum(o.outcome is Outcome.NOT_LOADED for o in outcomes)
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="tempyral replay",
        tests=str(len(outcomes)),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
        time=f"{seconds:.3f}",
    )
    for outcome in outcomes:
        case = ET.SubElement(
            suite,
            "testcase",
            classname="tempyral.replay",
            name=outcome.name,
            time=f"{outcome.seconds:.3f}",
        )
        if outcome.outcome is Outcome.REPLAYED:
            continue
        tag = "error" if outcome.outcome is Outcome.NOT_LOADED else "failure"
        first_line = outcome.message.splitlines()[0] if outcome.message else outcome.outcome.value
        element = ET.SubElement(case, tag, type=outcome.error_type, message=first_line)
        element.text = outcome.message
    tree = ET.ElementTree(suites)
    ET.indent(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
