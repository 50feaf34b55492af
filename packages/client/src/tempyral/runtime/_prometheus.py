"""Prometheus exposition of a runtime's metrics: a ``/metrics`` endpoint in the text format.

Values are aggregated here (one cell per metric name and attribute set) and rendered at scrape
time. Names, bucket boundaries and suffixes follow the official SDK's Prometheus exporter, so
dashboards built for it work unchanged. The text is rendered here rather than by
prometheus-client: its exposition always names a counter family ``<name>_total``, while the
official SDK's default (``counters_total_suffix=False``) exposes ``temporal_request`` as the
counter's family and sample name; mixing both would leave scrapers with untyped samples.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tempyral.runtime._buckets import default_buckets
from tempyral.runtime._config import PrometheusConfig
from tempyral.runtime._meter import BoundRecorder, GaugeRead, MetricKind

__all__ = ["PrometheusSink"]

_Labels = tuple[tuple[str, str], ...]

_LABEL_CACHE_SIZE = 4096
"""Attribute sets remembered with their labels; past this many the cache starts over (label
sets are few in practice: namespace, task queue, workflow and activity types, RPC names)."""


@dataclass
class _Family:
    kind: MetricKind
    description: str
    unit: str | None
    buckets: Sequence[float]
    cells: dict[_Labels, list[float]] = field(default_factory=dict)
    # Gauges read at scrape time, per label set; the last registered is the one read (as the
    # last set wins for a set gauge).
    reads: dict[_Labels, list[GaugeRead]] = field(default_factory=dict)


class PrometheusSink:
    """Aggregates records and serves them on ``/metrics`` at the configured address."""

    def __init__(self, config: PrometheusConfig, metric_prefix: str) -> None:
        self.durations_as_seconds = config.durations_as_seconds
        self._config = config
        self._prefix = metric_prefix
        self._families: dict[str, _Family] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        # A worker records dozens of values per workflow, nearly all with the same few attribute
        # sets: their sorted labels are looked up by the attributes' items, not rebuilt each time.
        self._labels: dict[tuple[tuple[str, object], ...], _Labels] = {}

    def start(self) -> None:
        """Bind the endpoint and serve it from a daemon thread."""
        host, _, port = self._config.bind_address.rpartition(":")
        if not port.isdigit():
            raise ValueError(
                f"PrometheusConfig.bind_address {self._config.bind_address!r} is not host:port"
            )
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = sink.render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # scrapes are not worth a log line each

        try:
            # An empty host means every interface, as in the official SDK.
            server = ThreadingHTTPServer((host or "0.0.0.0", int(port)), Handler)  # noqa: S104
        except OSError as error:
            raise RuntimeError(
                f"cannot serve Prometheus metrics on {self._config.bind_address}: {error}"
            ) from error
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, name="tempyral metrics", daemon=True).start()

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _buckets(self, name: str) -> Sequence[float]:
        short = name.removeprefix(self._prefix)
        overrides = self._config.histogram_bucket_overrides or {}
        if short in overrides or name in overrides:
            return tuple(overrides.get(short) or overrides[name])
        return default_buckets(short, seconds=self.durations_as_seconds)

    def _labels_of(self, attributes: Mapping[str, str | int | float | bool]) -> _Labels:
        items = tuple(attributes.items())
        labels = self._labels.get(items)
        if labels is None:
            labels = tuple(sorted((k, _label_value(v)) for k, v in items))
            # Only all-string sets are remembered: 1, 1.0 and True are equal keys but render as
            # different labels, while no number or boolean equals a string.
            if all(type(v) is str for _, v in items):
                if len(self._labels) >= _LABEL_CACHE_SIZE:
                    self._labels.clear()
                self._labels[items] = labels
        return labels

    def _family(
        self, kind: MetricKind, name: str, description: str | None, unit: str | None
    ) -> _Family:
        """The family of ``name``, made by its first record (called with the lock held)."""
        family = self._families.get(name)
        if family is None:
            buckets = self._buckets(name) if kind is MetricKind.HISTOGRAM else ()
            family = _Family(kind, description or name, unit, buckets)
            self._families[name] = family
        return family

    def record(
        self,
        kind: MetricKind,
        name: str,
        description: str | None,
        unit: str | None,
        value: float,
        attributes: Mapping[str, str | int | float | bool],
    ) -> None:
        labels = self._labels_of(attributes)
        with self._lock:
            family = self._family(kind, name, description, unit)
            cell = family.cells.get(labels)
            if kind is MetricKind.COUNTER:
                if cell is None:
                    family.cells[labels] = [value]
                else:
                    cell[0] += value
            elif kind is MetricKind.GAUGE:
                # Set in place: a bound recorder of the same cell keeps writing to this list.
                if cell is None:
                    family.cells[labels] = [value]
                else:
                    cell[0] = value
            else:
                if cell is None:
                    # [sum, count, per-bucket counts..., +Inf]
                    cell = family.cells[labels] = [0.0] * (len(family.buckets) + 3)
                cell[0] += value
                cell[1] += 1
                cell[2 + bisect.bisect_left(family.buckets, value)] += 1

    def bind(
        self,
        kind: MetricKind,
        name: str,
        description: str | None,
        unit: str | None,
        attributes: Mapping[str, str | int | float | bool],
    ) -> BoundRecorder:
        cell = _BoundCell(self, kind, name, description, unit, self._labels_of(attributes))
        if kind is MetricKind.COUNTER:
            return cell.add
        if kind is MetricKind.GAUGE:
            return cell.set
        return cell.observe

    def read_gauge(
        self,
        name: str,
        description: str | None,
        attributes: Mapping[str, str | int | float | bool],
        read: GaugeRead,
    ) -> None:
        labels = self._labels_of(attributes)
        with self._lock:
            family = self._family(MetricKind.GAUGE, name, description, None)
            family.reads.setdefault(labels, []).append(read)

    def stop_reading_gauge(
        self, name: str, attributes: Mapping[str, str | int | float | bool], read: GaugeRead
    ) -> None:
        labels = self._labels_of(attributes)
        with self._lock:
            family = self._families.get(name)
            reads = family.reads.get(labels) if family is not None else None
            if family is None or reads is None or read not in reads:
                return
            reads.remove(read)
            if reads:
                return
            del family.reads[labels]
        # Outside the lock: a read is the caller's code. What it reads last stays exposed.
        last = read()
        if last is not None:
            with self._lock:
                family.cells[labels] = [last]

    def render(self) -> str:
        """The metrics in the Prometheus text format (version 0.0.4)."""
        with self._lock:
            snapshot = [
                (name, family, {k: list(v) for k, v in family.cells.items()})
                for name, family in sorted(self._families.items())
            ]
            reads = [
                (cells, labels, found[-1])
                for _, family, cells in snapshot
                for labels, found in family.reads.items()
            ]
        # Outside the lock: reads are the caller's code, and records must not wait for them.
        for cells, labels, read in reads:
            value = read()
            if value is not None:
                cells[labels] = [value]
        lines: list[str] = []
        for name, family, cells in snapshot:
            exposed = self._exposed_name(name, family)
            if family.kind is MetricKind.COUNTER and self._config.counters_total_suffix:
                exposed += "_total"
            kind = family.kind.name.lower()
            lines += [f"# HELP {exposed} {family.description}", f"# TYPE {exposed} {kind}"]
            for labels, cell in cells.items():
                if family.kind is not MetricKind.HISTOGRAM:
                    lines.append(f"{exposed}{_labels(labels)} {_number(cell[0])}")
                    continue
                running = 0.0
                for bound, count in zip(family.buckets, cell[2:], strict=False):
                    running += count
                    le = (*labels, ("le", _number(bound)))
                    lines.append(f"{exposed}_bucket{_labels(le)} {_number(running)}")
                inf = (*labels, ("le", "+Inf"))
                lines.append(f"{exposed}_bucket{_labels(inf)} {_number(cell[1])}")
                lines.append(f"{exposed}_sum{_labels(labels)} {_number(cell[0])}")
                lines.append(f"{exposed}_count{_labels(labels)} {_number(cell[1])}")
        return "\n".join(lines) + "\n"

    def _exposed_name(self, name: str, family: _Family) -> str:
        if not self._config.unit_suffix or family.unit is None:
            return name
        suffix = {"ms": "milliseconds", "s": "seconds"}.get(family.unit, family.unit)
        return f"{name}_{suffix}"


class _BoundCell:
    """One metric's cell for one label set, found on its first record and then written directly:
    the same values as :py:meth:`PrometheusSink.record` with one lock and no lookups."""

    __slots__ = ("_buckets", "_cell", "_description", "_kind", "_labels", "_name", "_sink", "_unit")

    def __init__(
        self,
        sink: PrometheusSink,
        kind: MetricKind,
        name: str,
        description: str | None,
        unit: str | None,
        labels: _Labels,
    ) -> None:
        self._sink = sink
        self._kind = kind
        self._name = name
        self._description = description
        self._unit = unit
        self._labels = labels
        self._cell: list[float] | None = None
        self._buckets: Sequence[float] = ()

    def _resolve(self) -> list[float]:
        """The cell, made empty if no record made it yet (called with the sink's lock held)."""
        family = self._sink._family(self._kind, self._name, self._description, self._unit)
        cell = family.cells.get(self._labels)
        if cell is None:
            # As record() leaves a cell: [sum, count, per-bucket counts..., +Inf] or [value].
            histogram = self._kind is MetricKind.HISTOGRAM
            cell = [0.0] * (len(family.buckets) + 3) if histogram else [0]
            family.cells[self._labels] = cell
        self._buckets = family.buckets
        self._cell = cell
        return cell

    def add(self, value: float) -> None:
        with self._sink._lock:
            cell = self._cell
            if cell is None:
                cell = self._resolve()
            cell[0] += value

    def set(self, value: float) -> None:
        with self._sink._lock:
            cell = self._cell
            if cell is None:
                cell = self._resolve()
            cell[0] = value

    def observe(self, value: float) -> None:
        with self._sink._lock:
            cell = self._cell
            if cell is None:
                cell = self._resolve()
            cell[0] += value
            cell[1] += 1
            cell[2 + bisect.bisect_left(self._buckets, value)] += 1


def _label_value(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _labels(labels: _Labels) -> str:
    if not labels:
        return ""
    escaped = (
        (k, v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')) for k, v in labels
    )
    return "{" + ",".join(f'{k}="{v}"' for k, v in escaped) + "}"
