"""``OpenTelemetryConfig`` errors a user can hit before any export (the export itself is tested
against real receivers in packages/worker/tests/test_worker_otlp_metrics.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from tempyral.runtime import OpenTelemetryConfig, Runtime, TelemetryConfig


def test_missing_otel_extra_names_the_extra_to_install() -> None:
    # Another process, where the OpenTelemetry SDK cannot be imported (as without the extra).
    script = (
        "import sys\n"
        "sys.modules['opentelemetry.sdk.metrics'] = None\n"
        "from tempyral.runtime import OpenTelemetryConfig, Runtime, TelemetryConfig\n"
        "try:\n"
        "    Runtime(telemetry=TelemetryConfig(metrics=OpenTelemetryConfig("
        "url='http://127.0.0.1:4317')))\n"
        "except RuntimeError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install 'tempyral-client[otel]'" in done.stdout


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (OpenTelemetryConfig(url="localhost:4317"), r"'http://localhost:4317'"),
        (
            OpenTelemetryConfig(url="collector:4318/v1/metrics", http=True),
            r"'http://localhost:4318/v1/metrics'",
        ),
        (
            OpenTelemetryConfig(url="http://127.0.0.1:4317", metric_periodicity=-timedelta(1)),
            "metric_periodicity must be positive",
        ),
    ],
)
def test_bad_settings_are_refused_with_what_to_do(
    config: OpenTelemetryConfig, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Runtime(telemetry=TelemetryConfig(metrics=config))
