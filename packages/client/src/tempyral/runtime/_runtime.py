"""``Runtime``: the telemetry a client and its workers share (metrics exporter, global tags).

The official SDK's runtime also owns a Rust thread pool; tempyral's owns only the metric sink,
so creating one is cheap. A client takes a runtime at connect time (default: :py:meth:`default`),
and its workers record into the same runtime.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from tempyral.common import MetricMeter
from tempyral.common._json_logs import disable_json_logs, enable_json_logs
from tempyral.runtime._config import (
    LoggingConfig,
    LoggingFormat,
    OpenTelemetryConfig,
    PrometheusConfig,
    TelemetryConfig,
    TelemetryFilter,
)
from tempyral.runtime._meter import MetricSink, RecordingMeter

if TYPE_CHECKING:
    from tempyral.runtime._otlp import OtlpSink
    from tempyral.runtime._prometheus import PrometheusSink

__all__ = ["Runtime"]

_DEFAULT_PREFIX = "temporal_"
_SERVICE_NAME = "temporal-core-sdk"
# The Rust core's level names (in filters) as standard logging levels.
_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
}


def _filter_level(filter: TelemetryFilter | str) -> int:
    """The level a filter gives the SDK's own logs (``temporal_sdk_core=...`` in a string)."""
    if isinstance(filter, TelemetryFilter):
        name = filter.core_level
    else:
        directives = [part.strip() for part in filter.split(",") if part.strip()]
        core = [d.split("=", 1)[1] for d in directives if d.startswith("temporal_sdk_core=")]
        bare = [d for d in directives if "=" not in d]
        name = (core or bare or ["WARN"])[0]
    level = _LEVELS.get(name.upper())
    if level is None:
        raise ValueError(
            f"LoggingConfig.filter has an unknown level {name!r}: use one of {', '.join(_LEVELS)}"
        )
    return level


def _json_logs(config: LoggingConfig | None) -> logging.Handler | None:
    if config is None or config.format is not LoggingFormat.JSON or config.forwarding is not None:
        return None
    return enable_json_logs(_filter_level(config.filter))


class _DefaultRef:
    def __init__(self) -> None:
        self.runtime: Runtime | None = None
        self.prevented = False
        self.lock = threading.Lock()


_default = _DefaultRef()


class Runtime:
    """Telemetry shared by clients and workers: one metrics exporter and its tags."""

    @classmethod
    def default(cls) -> Runtime:
        """The default runtime (created on first use, with no metrics exported)."""
        with _default.lock:
            if _default.runtime is None:
                if _default.prevented:
                    raise RuntimeError(
                        "the default runtime was prevented (Runtime.prevent_default()): "
                        "pass a runtime explicitly or call Runtime.set_default()"
                    )
                _default.runtime = cls(telemetry=TelemetryConfig())
            return _default.runtime

    @staticmethod
    def prevent_default() -> None:
        """Make :py:meth:`default` raise until :py:meth:`set_default` is called."""
        with _default.lock:
            if _default.runtime is not None:
                raise RuntimeError("the default runtime was already created")
            _default.prevented = True

    @staticmethod
    def set_default(runtime: Runtime, *, error_if_already_set: bool = True) -> None:
        """Replace the default runtime (clients made before keep theirs)."""
        with _default.lock:
            if _default.runtime is not None and error_if_already_set:
                raise RuntimeError(
                    "a default runtime is already set; "
                    "pass error_if_already_set=False to replace it"
                )
            _default.runtime = runtime

    def __init__(
        self,
        *,
        telemetry: TelemetryConfig,
        worker_heartbeat_interval: timedelta | None = timedelta(seconds=60),
        disable_environment_info: bool = False,
    ) -> None:
        """Create a runtime; a :py:class:`PrometheusConfig` binds its endpoint now.

        Raises:
            ValueError: A setting is out of range.
            RuntimeError: The metrics exporter cannot start (missing extra, port taken).
        """
        if worker_heartbeat_interval is not None and worker_heartbeat_interval <= timedelta(0):
            raise ValueError("worker_heartbeat_interval must be positive")
        self.telemetry = telemetry
        self.worker_heartbeat_interval = worker_heartbeat_interval
        self.disable_environment_info = disable_environment_info
        self.metric_prefix = (
            telemetry.metric_prefix if telemetry.metric_prefix is not None else _DEFAULT_PREFIX
        )
        self._prometheus: PrometheusSink | None = None
        self._otlp: OtlpSink | None = None
        sink: MetricSink | None = None
        tags: dict[str, str] = {}
        if telemetry.attach_service_name:
            tags["service_name"] = _SERVICE_NAME
        metrics = telemetry.metrics
        if isinstance(metrics, PrometheusConfig):
            # Imported here: the exporter's HTTP server stack is needed only when configured.
            from tempyral.runtime._prometheus import PrometheusSink

            self._prometheus = PrometheusSink(metrics, self.metric_prefix)
            self._prometheus.start()
            sink = self._prometheus
        elif isinstance(metrics, OpenTelemetryConfig):
            from tempyral.runtime._otlp import OtlpSink  # on first use, as the Prometheus sink

            # The official SDK puts the global tags on the OTLP resource, not on each point.
            self._otlp = OtlpSink(metrics, self.metric_prefix, telemetry.global_tags)
            sink = self._otlp
        elif metrics is not None:
            # Already imported by whoever built the buffer; a runtime without one skips the module.
            from tempyral.runtime._buffer import MetricBuffer

            if isinstance(metrics, MetricBuffer):
                sink = metrics
        if not isinstance(metrics, OpenTelemetryConfig):
            tags.update(telemetry.global_tags)
        self._metric_meter = MetricMeter.noop if sink is None else RecordingMeter(sink, tags)
        self._json_logs = _json_logs(telemetry.logging)

    @property
    def metric_meter(self) -> MetricMeter:
        """The runtime's meter (no-op when no metrics are configured)."""
        return self._metric_meter

    def close(self) -> None:
        """Stop the metrics endpoint or push a last export; stop JSON logs (a tempyral addition)."""
        if self._prometheus is not None:
            self._prometheus.close()
        if self._otlp is not None:
            self._otlp.close()
            self._otlp = None
        if self._json_logs is not None:
            disable_json_logs(self._json_logs)
            self._json_logs = None
