"""Priority, RawValue, worker versioning, enums and the no-op metric meter."""

from __future__ import annotations

import pickle
from datetime import timedelta
from enum import IntEnum

import pytest

from tempyral.api.common.v1.message_pb2 import Payload
from tempyral.api.common.v1.message_pb2 import Priority as PriorityProto
from tempyral.api.enums.v1 import query_pb2, workflow_pb2
from tempyral.common import (
    AutoUpgradeVersioningOverride,
    HeaderCodecBehavior,
    MetricMeter,
    OneTimeVersioningOverride,
    PinnedVersioningOverride,
    Priority,
    QueryRejectCondition,
    RawValue,
    VersioningBehavior,
    WorkerDeploymentVersion,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
    _arg_or_args,
    _arg_unset,
    _type_hints_from_func,
)


def test_priority_round_trips_and_unset_means_inherit() -> None:
    priority = Priority(priority_key=2, fairness_key="tenant-a", fairness_weight=2.5)

    assert Priority._from_proto(priority._to_proto()) == priority
    assert Priority.default._to_proto() == PriorityProto()
    assert Priority._from_proto(PriorityProto()) == Priority.default


@pytest.mark.parametrize(("key", "error"), [(0, ValueError), ("1", TypeError)])
def test_priority_key_must_be_a_positive_integer(key: object, error: type) -> None:
    with pytest.raises(error, match="priority_key must be"):
        Priority(priority_key=key)  # type: ignore[arg-type]


def test_raw_value_pickles() -> None:
    raw = RawValue(Payload(metadata={"encoding": b"x"}, data=b"y"))

    assert pickle.loads(pickle.dumps(raw)) == raw


def test_raw_value_rejects_foreign_pickle_state() -> None:
    raw = RawValue.__new__(RawValue)

    with pytest.raises(ValueError, match="Bad version prefix"):
        raw.__setstate__(b"9data")


def test_worker_deployment_version_canonical_string() -> None:
    version = WorkerDeploymentVersion.from_canonical_string("payments.build.42")

    assert version == WorkerDeploymentVersion("payments", "build.42")
    assert version.to_canonical_string() == "payments.build.42"
    with pytest.raises(ValueError, match=r"<deployment_name>\.<build_id>"):
        WorkerDeploymentVersion.from_canonical_string("no-dot")


def test_versioning_overrides_write_old_and_new_fields() -> None:
    version = WorkerDeploymentVersion("d", "b")

    pinned = PinnedVersioningOverride(version)._to_proto()
    auto = AutoUpgradeVersioningOverride()._to_proto()
    one_time = OneTimeVersioningOverride(version)._to_proto()

    assert pinned.pinned_version == "d.b"
    assert pinned.pinned.version.build_id == "b"
    assert pinned.behavior == workflow_pb2.VERSIONING_BEHAVIOR_PINNED
    assert auto.auto_upgrade
    assert one_time.one_time.target_deployment_version.deployment_name == "d"


@pytest.mark.parametrize(
    ("member", "proto_value"),
    [
        (
            WorkflowIDReusePolicy.REJECT_DUPLICATE,
            workflow_pb2.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
        ),
        (
            WorkflowIDConflictPolicy.USE_EXISTING,
            workflow_pb2.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
        ),
        (QueryRejectCondition.NOT_OPEN, query_pb2.QUERY_REJECT_CONDITION_NOT_OPEN),
        (VersioningBehavior.AUTO_UPGRADE, workflow_pb2.VERSIONING_BEHAVIOR_AUTO_UPGRADE),
    ],
)
def test_enum_values_are_the_server_values(member: IntEnum, proto_value: int) -> None:
    assert int(member) == proto_value


def test_header_codec_behavior_values_match_the_official_sdk() -> None:
    assert [(m.name, m.value) for m in HeaderCodecBehavior] == [
        ("NO_CODEC", 1),
        ("CODEC", 2),
        ("WORKFLOW_ONLY_CODEC", 3),
    ]


def test_noop_metric_meter_accepts_everything() -> None:
    meter = MetricMeter.noop.with_additional_attributes({"a": 1})
    counter = meter.create_counter("requests", "all requests", "1")

    counter.add(1, {"route": "/"})
    meter.create_histogram_timedelta("latency").record(timedelta(milliseconds=5))
    meter.create_gauge_float("load").set(0.5)

    assert (counter.name, counter.description, counter.unit) == ("requests", "all requests", "1")
    assert counter.with_additional_attributes({"b": True}) is counter


def test_type_hints_of_a_workflow_method_skip_self() -> None:
    class Greeter:
        async def run(self, name: str, times: int) -> list[str]:
            return [name] * times

    assert _type_hints_from_func(Greeter.run) == ([str, int], list[str])


def test_type_hints_are_none_for_keyword_only_parameters() -> None:
    def activity(*, name: str) -> None:
        pass

    assert _type_hints_from_func(activity) == (None, type(None))


def test_unannotated_parameters_decode_untyped() -> None:
    def activity(name, count: int):  # type: ignore[no-untyped-def]
        return name

    assert _type_hints_from_func(activity) == ([None, int], None)


def test_arg_or_args_rejects_both() -> None:
    assert _arg_or_args(_arg_unset, [1, 2]) == [1, 2]
    assert _arg_or_args(None, []) == [None]
    with pytest.raises(ValueError, match="Cannot have arg and args"):
        _arg_or_args(1, [2])
