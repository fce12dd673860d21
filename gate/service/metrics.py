"""Every metric of the gate, defined once, kept in Redis so that all processes count into one place.

Web processes, RQ work horses (a fresh fork per job) and workers on other machines all increment the same
Redis hashes; ``/metrics`` reads them at scrape time through a custom collector. (prometheus-client's
multiprocess mode only sees processes of one host, and leaves one file per forked work horse.) Labels
come from bounded sets only: results, outcomes, rule ids, queue names; never a build id.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector


@dataclass(frozen=True)
class Spec:
    name: str
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()


COUNTERS = {
    s.name: s for s in (
        Spec("gate_webhook_requests_total", "Inbound build webhooks by result.", ("result",)),
        Spec("gate_verdicts_total", "Verdicts decided, by verdict (pass, warn, block).", ("outcome",)),
        Spec("gate_findings_total", "Findings in decided verdicts, by rule and outcome.", ("rule_id", "outcome")),
        Spec("gate_callback_deliveries_total", "Callback delivery attempts by result.", ("result",)),
        Spec("gate_builds_failed_total", "Builds that ended failed (not analysed), by reason.", ("reason",)),
    )
}
HISTOGRAMS = {
    s.name: s for s in (
        Spec("gate_analysis_duration_seconds", "Wall time of one analysis job.", (),
             (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600)),
        Spec("gate_accepted_to_callback_seconds", "From webhook accepted to callback delivered (2xx).", (),
             (0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 86400)),
    )
}


def _label_key(spec: Spec, labels: Mapping[str, str]) -> str:
    if set(labels) != set(spec.labels):
        raise ValueError(f"{spec.name} takes labels {spec.labels}, got {sorted(labels)}")
    return ",".join(f"{name}={labels[name]}" for name in spec.labels)


def _parse_labels(key: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in key.split(",") if part)


class Metrics:
    """Write side: increments go straight to Redis (one pipelined round trip each)."""

    def __init__(self, client: redis.Redis, prefix: str = "gate:") -> None:
        self.r: Any = client  # decode_responses=True
        self.prefix = prefix + "metrics:"

    def inc(self, name: str, amount: float = 1, **labels: str) -> None:
        spec = COUNTERS[name]
        self.r.hincrbyfloat(self.prefix + name, _label_key(spec, labels), amount)

    def observe(self, name: str, value: float, **labels: str) -> None:
        spec = HISTOGRAMS[name]
        key = _label_key(spec, labels)
        bucket = next((b for b in spec.buckets if value <= b), math.inf)
        with self.r.pipeline(transaction=False) as pipe:
            pipe.hincrbyfloat(self.prefix + name, f"bucket|{bucket}|{key}", 1)
            pipe.hincrbyfloat(self.prefix + name, f"sum|{key}", value)
            pipe.hincrbyfloat(self.prefix + name, f"count|{key}", 1)
            pipe.execute()

    def safe_inc(self, name: str, amount: float = 1, **labels: str) -> None:
        """Counting must never break the request or the job it counts."""
        try:
            self.inc(name, amount, **labels)
        except redis.RedisError:
            pass


class RedisCollector(Collector):
    """Read side, for ``/metrics``: counters and histograms from Redis, plus queue and worker gauges."""

    def __init__(self, client: redis.Redis, rq_client: redis.Redis, prefix: str = "gate:",
                 queues: tuple[str, ...] = (), record_gauges: Callable[[], dict[str, int]] | None = None) -> None:
        self.r: Any = client  # decode_responses=True
        self.record_gauges = record_gauges  # the record's counts (gate.record.repository.Record.gauges)
        self.rq = rq_client  # bytes, as RQ needs
        self.prefix = prefix + "metrics:"
        self.queues = queues

    def collect(self) -> Iterator[Metric]:
        for spec in COUNTERS.values():
            family = CounterMetricFamily(spec.name.removesuffix("_total"), spec.help, labels=list(spec.labels))
            for key, value in self.r.hgetall(self.prefix + spec.name).items():
                labels = _parse_labels(key)
                family.add_metric([labels[n] for n in spec.labels], float(value))
            yield family
        for spec in HISTOGRAMS.values():
            yield self._histogram(spec)
        yield from self._gauges()

    def _histogram(self, spec: Spec) -> HistogramMetricFamily:
        family = HistogramMetricFamily(spec.name, spec.help, labels=list(spec.labels))
        raw = self.r.hgetall(self.prefix + spec.name)
        series: dict[str, dict[str, float]] = {}
        for field, value in raw.items():
            kind, rest = field.split("|", 1)
            if kind == "bucket":
                le, key = rest.split("|", 1)
                series.setdefault(key, {})[le] = float(value)
            else:
                series.setdefault(rest, {})[kind] = float(value)
        for key, data in series.items():
            labels = _parse_labels(key)
            running = 0.0
            buckets = []
            for bound in (*spec.buckets, math.inf):
                running += data.get(str(bound) if bound != math.inf else "inf", 0.0)
                buckets.append(("+Inf" if bound == math.inf else str(bound), running))
            family.add_metric([labels[n] for n in spec.labels], buckets, data.get("sum", 0.0))
        return family

    def _gauges(self) -> Iterator[Metric]:
        from rq import Queue, Worker
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

        depth = GaugeMetricFamily("gate_queue_depth", "Jobs waiting in each queue.", labels=["queue"])
        started = GaugeMetricFamily("gate_queue_started", "Jobs running now, per queue.", labels=["queue"])
        scheduled = GaugeMetricFamily("gate_queue_scheduled", "Jobs scheduled for later (retries).", labels=["queue"])
        failed = GaugeMetricFamily("gate_queue_failed", "Jobs in the failed registry.", labels=["queue"])
        for name in self.queues:
            queue = Queue(name, connection=self.rq)
            depth.add_metric([name], queue.count)
            started.add_metric([name], StartedJobRegistry(name, connection=self.rq).count)
            scheduled.add_metric([name], ScheduledJobRegistry(name, connection=self.rq).count)  # type: ignore[no-untyped-call]
            failed.add_metric([name], FailedJobRegistry(name, connection=self.rq).count)
        workers = GaugeMetricFamily("gate_workers", "RQ workers alive.")
        workers.add_metric([], Worker.count(connection=self.rq))
        yield from (depth, started, scheduled, failed, workers)
        if self.record_gauges is not None:
            counts = self.record_gauges()
            undecided = GaugeMetricFamily("gate_builds_undecided", "Builds queued or running (the record).")
            undecided.add_metric([], counts["undecided"])
            pending = GaugeMetricFamily("gate_builds_review_pending", "Decided builds waiting for a reviewer.")
            pending.add_metric([], counts["review_pending"])
            yield from (undecided, pending)
