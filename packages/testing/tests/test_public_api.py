"""The public names of tempyral.testing are the ones we mean to offer."""

import tempyral.testing


def test_public_names() -> None:
    assert sorted(tempyral.testing.__all__) == [
        "ActivityEnvironment",
        "DevServer",
        "DevServerError",
        "FastForwardConfig",
        "InProcessWorkflowEnvironment",
        "TLSProxy",
        "TestServer",
        "TestServerError",
        "TimeSkipper",
        "TimeSkippingConfig",
        "WorkflowEnvironment",
        "find_temporal_binary",
        "find_test_server_binary",
        "history_replay_test",
        "start_in_process",
    ]
    for name in tempyral.testing.__all__:
        assert getattr(tempyral.testing, name).__module__.startswith("tempyral.testing")
