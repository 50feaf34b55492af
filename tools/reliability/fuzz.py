"""A seeded fuzzer: mutated golden histories, payloads and failure protos against tempyral.

Each case is one mutation drawn from a seeded generator, so a case number reproduces exactly
(``python tools/reliability/fuzz.py --seed 7 --cases 1000``). What is checked, per case:

- **no crash**: loading a history raises nothing but ``ValueError``;
  ``Replayer.replay_workflow_sync`` (``raise_on_replay_failure=False``) raises nothing at all;
  decoding a payload or converting a failure proto raises only the payload converter's
  documented errors;
- **no hang**: each case has a deadline (``--case-timeout``, 10 s), enforced by ``SIGALRM``;
- **no silent success**: a mutation that breaks a history's structure (an event dropped from the
  middle, repeated, swapped, renumbered or given another type; the history emptied or beheaded;
  the text cut or replaced by garbage) must be refused; mutations of values (payload bytes,
  scalars, truncation at an event boundary) may replay, fail the task, or be refused;
- **only documented errors**: a refusal is a ``ValueError`` (loading), a ``ReplayError``
  (``CorruptHistoryError``, ``NondeterminismError``, ``IllegalMoveError``) or the error that
  failed a workflow task (what the workflow code raised, e.g. on an undecodable payload).

The report counts outcomes per mutation and lists every case that broke a rule.
"""

from __future__ import annotations

import argparse
import base64
import copy
import importlib.util
import json
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.api.enums.v1 import event_type_pb2
from tempyral.api.failure.v1.message_pb2 import Failure
from tempyral.common import configure_logging
from tempyral.converter import DataConverter
from tempyral.replay import Replayer, ReplayError, WorkflowHistory

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "packages" / "replay" / "tests" / "golden"

# Errors the payload converter documents for data it cannot decode.
PAYLOAD_ERRORS: tuple[type[Exception], ...] = (ValueError, TypeError, RuntimeError, KeyError)

EVENT_TYPES = [
    name for name, _ in event_type_pb2.EventType.items() if not name.endswith("UNSPECIFIED")
]


class Hang(BaseException):
    """Raised by the alarm into a case that ran past its deadline."""


@dataclass
class Case:
    index: int
    target: str  # "history", "payload" or "failure"
    mutation: str
    must_fail: bool
    outcome: str = ""
    error: str = ""


@dataclass
class Report:
    seed: int
    cases: list[Case] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def broken(self) -> list[Case]:
        return [c for c in self.cases if c.outcome in ("crash", "hang", "silent-success")]

    def counts(self) -> Counter[str]:
        return Counter(c.outcome for c in self.cases)

    def summary(self) -> str:
        by_mutation: dict[str, Counter[str]] = {}
        for case in self.cases:
            by_mutation.setdefault(f"{case.target}:{case.mutation}", Counter())[case.outcome] += 1
        lines = [
            f"seed {self.seed}: {len(self.cases)} cases in {self.seconds:.1f} s;"
            f" outcomes {dict(sorted(self.counts().items()))}"
        ]
        for name, counts in sorted(by_mutation.items()):
            lines.append(f"  {name:32} {dict(sorted(counts.items()))}")
        for case in self.broken:
            lines.append(f"  BROKEN case {case.index} {case.mutation}: {case.outcome} {case.error}")
        return "\n".join(lines)


# -- inputs -------------------------------------------------------------------------------------


def _load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def golden_replayer() -> Replayer:
    module = sys.modules.get("golden_workflows") or _load_module(
        GOLDEN / "workflows.py", "golden_workflows"
    )
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and "__tempyral_workflow_definition" in value.__dict__
    ]
    return Replayer(workflows=classes)


def golden_histories() -> list[tuple[str, dict[str, Any]]]:
    histories = GOLDEN / "histories"
    index = json.loads((histories / "index.json").read_text())
    return [
        (index[path.stem.split(".")[0]], json.loads(path.read_text()))
        for path in sorted(histories.glob("*.json"))
        if path.name != "index.json"
    ]


# -- history mutations: (rng, events) -> (input, must_fail) ------------------------------------

Mutation = Callable[[random.Random, dict[str, Any], str], tuple[Any, bool]]


def _events(data: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = data["events"]
    return events


def drop_middle_event(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    events = _events(data)
    del events[rng.randrange(1, len(events) - 1)]
    return data, True


def duplicate_event(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    events = _events(data)
    at = rng.randrange(len(events))
    twin = copy.deepcopy(events[at])
    if rng.random() < 0.5:  # a conflicting twin: same id, different content
        twin["eventTime"] = "2001-01-01T00:00:00Z"
    events.insert(at + 1, twin)
    return data, True


def swap_events(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    events = _events(data)
    at = rng.randrange(len(events) - 1)
    events[at], events[at + 1] = events[at + 1], events[at]
    return data, True


def renumber_event(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    events = _events(data)
    at = rng.randrange(len(events))
    new = rng.choice([0, -1, at, at + 2, 2**40, rng.randrange(1, 10_000)])
    events[at]["eventId"] = str(new)
    return data, new != at + 1


def change_event_type(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    event = rng.choice(_events(data))
    choices = [name for name in EVENT_TYPES if name != event["eventType"]]
    event["eventType"] = rng.choice(choices)
    return data, True


def unknown_event_type(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    event = rng.choice(_events(data))
    event["eventType"] = rng.choice(["EVENT_TYPE_FROM_THE_FUTURE", "Bogus", 9999, "", None])
    return data, True


def behead(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    del _events(data)[0]
    return data, True


def empty(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    data["events"] = []
    return data, True


def truncate_events(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    events = _events(data)
    data["events"] = events[: rng.randrange(1, len(events) + 1)]
    return data, False


def mutate_payload(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    leaves = [(d, k) for d, k in _leaves(data) if k == "data" and isinstance(d[k], str)]
    if not leaves:
        return data, False
    holder, key = rng.choice(leaves)
    raw = bytearray(base64.b64decode(holder[key]) or b"\x00")
    for _ in range(rng.randrange(1, 4)):
        raw[rng.randrange(len(raw))] = rng.randrange(256)
    holder[key] = base64.b64encode(bytes(raw)).decode()
    return data, False


def mutate_scalar(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    holder, key = rng.choice(list(_leaves(data)))
    holder[key] = rng.choice(
        ["", "x" * rng.randrange(1, 200), -1, 0, 2**63, 1.5, True, None, [], {}, "\udcff"[:0]]
    )
    return data, False


def delete_key(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    holder, key = rng.choice(list(_leaves(data, with_dicts=True)))
    del holder[key]
    # Removing an event's id or type breaks its structure; other fields are values.
    return data, key in ("eventId", "eventType") and holder in _events(data)


def _leaves(value: Any, *, with_dicts: bool = False) -> Iterator[tuple[Any, Any]]:
    if isinstance(value, dict):
        for key, child in list(value.items()):
            if isinstance(child, (dict, list)):
                if with_dicts:
                    yield value, key
                yield from _leaves(child, with_dicts=with_dicts)
            else:
                yield value, key
    elif isinstance(value, list):
        for child in value:
            yield from _leaves(child, with_dicts=with_dicts)


# -- text mutations ---------------------------------------------------------------------------


def flip_bytes(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    raw = bytearray(text.encode())
    for _ in range(rng.randrange(1, 8)):
        raw[rng.randrange(len(raw))] = rng.randrange(256)
    return bytes(raw), False


def cut_text(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    return text[: rng.randrange(0, len(text) - 1)], True


def garbage(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 4096))), True


def deep_nesting(rng: random.Random, data: dict[str, Any], text: str) -> tuple[Any, bool]:
    depth = rng.choice([1_000, 10_000, 200_000])
    if rng.random() < 0.5:
        return "[" * depth + "]" * depth, True
    nested: Any = {}
    inner = nested
    for _ in range(min(depth, 5_000)):
        inner["failure"] = {}
        inner = inner["failure"]
    return {"events": [{"eventId": "1", "eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
                        "workflowExecutionStartedEventAttributes": nested}]}, True  # fmt: skip


HISTORY_MUTATIONS: list[Mutation] = [
    drop_middle_event,
    duplicate_event,
    swap_events,
    renumber_event,
    change_event_type,
    unknown_event_type,
    behead,
    empty,
    truncate_events,
    mutate_payload,
    mutate_payload,
    mutate_scalar,
    mutate_scalar,
    delete_key,
    flip_bytes,
    cut_text,
    garbage,
    deep_nesting,
]


# -- running ----------------------------------------------------------------------------------


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang


def run_history_case(
    case: Case, replayer: Replayer, workflow_id: str, data: Any, must_fail: bool
) -> None:
    try:
        history = WorkflowHistory.from_json(workflow_id, data)
    except ValueError as err:
        case.outcome, case.error = "refused-loading", _first_line(err)
        return
    except Exception as err:
        case.outcome, case.error = "crash", f"loading raised {type(err).__name__}: {err}"
        return
    try:
        result = replayer.replay_workflow_sync(history, raise_on_replay_failure=False)
    except Exception as err:
        case.outcome, case.error = "crash", f"replay raised {type(err).__name__}: {err}"
        return
    failure = result.replay_failure
    if failure is None:
        case.outcome = "silent-success" if must_fail else "replayed"
    elif isinstance(failure, ReplayError):
        case.outcome, case.error = f"refused-{type(failure).__name__}", _first_line(failure)
    else:
        case.outcome = "workflow-task-failure"
        case.error = f"{type(failure).__name__}: {_first_line(failure)}"


def run_payload_case(case: Case, rng: random.Random) -> None:
    converter = DataConverter.default.payload_converter
    payload = Payload(data=bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64))))
    encodings = [b"json/plain", b"binary/plain", b"binary/null", b"json/protobuf"]
    encoding = rng.choice([*encodings, b"binary/protobuf", b"bogus", b""])
    if encoding:
        payload.metadata["encoding"] = encoding
    if rng.random() < 0.5:
        payload.metadata["messageType"] = rng.choice([b"temporal.api.common.v1.Payload", b"x.Y"])
    if rng.random() < 0.3 and encoding == b"json/plain":
        payload.data = rng.choice([b"[" * 100_000, b'{"a":' * 50_000, b"1e99999", b"NaN"])
    hint = rng.choice([None, str, int, dict, list, bytes, float])
    try:
        converter.from_payloads([payload], [hint] if hint is not None else None)
        case.outcome = "decoded"
    except PAYLOAD_ERRORS as err:
        case.outcome, case.error = f"refused-{type(err).__name__}", _first_line(err)
    except Exception as err:
        case.outcome, case.error = "crash", f"{type(err).__name__}: {err}"


def run_failure_case(case: Case, rng: random.Random) -> None:
    converter = DataConverter.default
    failure = Failure(message=rng.choice(["", "boom", "x" * 10_000]))
    current = failure
    # Cause chains as deep as protobuf lets a message nest on the wire (100 levels).
    for _ in range(rng.choice([0, 1, 5, 50, 98])):
        current = current.cause
        current.message = "cause"
    for target in (failure, current):
        kind = rng.choice(
            ["application_failure_info", "timeout_failure_info", "canceled_failure_info",
             "terminated_failure_info", "server_failure_info", "reset_workflow_failure_info",
             "activity_failure_info", "child_workflow_execution_failure_info", None]
        )  # fmt: skip
        if kind is not None:
            getattr(target, kind).SetInParent()
        if kind == "application_failure_info" and rng.random() < 0.5:
            details = target.application_failure_info.details.payloads.add()
            details.metadata["encoding"] = b"json/plain"
            details.data = bytes(rng.randrange(256) for _ in range(8))
        if rng.random() < 0.3:
            target.encoded_attributes.metadata["encoding"] = b"json/plain"
            target.encoded_attributes.data = rng.choice([b"{}", b"[", b'{"message": 3}'])
    try:
        error = converter.failure_converter.from_failure(failure, converter.payload_converter)
    except PAYLOAD_ERRORS as err:  # undecodable details: the payload converter's errors
        case.outcome, case.error = f"refused-{type(err).__name__}", _first_line(err)
        return
    except Exception as err:
        case.outcome, case.error = "crash", f"{type(err).__name__}: {_first_line(err)}"
        return
    case.outcome = "converted" if isinstance(error, BaseException) else "crash"


@dataclass
class HistoryInput:
    """A history case's input, also what the official SDK's run of the same case replays."""

    workflow_id: str
    data: Any  # JSON text, bytes or a decoded dict


def plan(seed: int, cases: int) -> Iterator[tuple[Case, HistoryInput | random.Random]]:
    """The seeded cases: a history case with its input, or another case with its generator."""
    rng = random.Random(seed)  # noqa: S311 (reproducible on purpose)
    histories = golden_histories()
    for index in range(cases):
        case_rng = random.Random(rng.getrandbits(64))  # noqa: S311
        roll = case_rng.random()
        if roll < 0.70:
            workflow_id, original = case_rng.choice(histories)
            mutation = case_rng.choice(HISTORY_MUTATIONS)
            data = copy.deepcopy(original)
            mutated, must_fail = mutation(case_rng, data, json.dumps(original))
            yield (
                Case(index, "history", mutation.__name__, must_fail),
                HistoryInput(workflow_id, mutated),
            )
        elif roll < 0.85:
            yield Case(index, "payload", "random_payload", False), case_rng
        else:
            yield Case(index, "failure", "random_failure", False), case_rng


def fuzz(seed: int, cases: int, *, case_timeout: float = 10.0) -> Report:
    """Run ``cases`` seeded cases (about 70% histories, 15% payloads, 15% failures)."""
    replayer = golden_replayer()
    report = Report(seed)
    started = time.perf_counter()
    previous = signal.signal(signal.SIGALRM, _alarm)
    limit = sys.getrecursionlimit()
    try:
        for case, given in plan(seed, cases):
            work: Callable[[], None]
            if isinstance(given, HistoryInput):
                work = lambda c=case, g=given: run_history_case(  # noqa: E731
                    c, replayer, g.workflow_id, g.data, c.must_fail
                )
            elif case.target == "payload":
                work = lambda c=case, r=given: run_payload_case(c, r)  # noqa: E731
            else:
                work = lambda c=case, r=given: run_failure_case(c, r)  # noqa: E731
            signal.setitimer(signal.ITIMER_REAL, case_timeout)
            try:
                work()
            except Hang:
                case.outcome, case.error = "hang", f"no answer within {case_timeout:g} s"
            except BaseException as err:  # anything escaping the case is a crash
                case.outcome, case.error = "crash", f"{type(err).__name__}: {err}"
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if sys.getrecursionlimit() != limit:
                case.outcome, case.error = "crash", "the recursion limit was changed"
                sys.setrecursionlimit(limit)
            report.cases.append(case)
    finally:
        signal.signal(signal.SIGALRM, previous)
    report.seconds = time.perf_counter() - started
    return report


def _first_line(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:200]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--case-timeout", type=float, default=10.0)
    args = parser.parse_args()
    configure_logging(level=None)  # the engine logs undecodable signals: not the point here
    report = fuzz(args.seed, args.cases, case_timeout=args.case_timeout)
    print(report.summary())
    return 1 if report.broken else 0


if __name__ == "__main__":
    sys.exit(main())
