"""passgate's metrics for prometheus_client (``pip install "passgate[prometheus]"``).

One process (a single worker, uvicorn, a management command)::

    from passgate.prometheus import register
    register()                        # REGISTRY; values read from passgate.metrics() at each scrape

Several worker processes (gunicorn with ``PROMETHEUS_MULTIPROC_DIR``):
prometheus_client's multiprocess mode sums only its own metric objects, never
a custom collector, so count through the verifier's hook instead::

    from passgate.prometheus import outcome_counter
    verifier = passgate.Verifier(on_outcome=outcome_counter())
    # Django: PASSGATE = {..., "on_outcome": "passgate.prometheus.count_outcome"}

Both give ``passgate_validations_total{provider,outcome}`` and
``passgate_validation_duration_seconds{provider}`` under the same names and
buckets; use one or the other in a registry, not both. The collector also
exports the upstream, replay-store and memory-store series (see
docs/operations.md), which the hook cannot see.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Iterator, Optional

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from . import Outcome
from ._diagnostics import metrics

__all__ = ["PassgateCollector", "register", "OutcomeCounter", "outcome_counter", "count_outcome"]

VALIDATIONS_HELP = "Validations by provider and outcome code."
VALIDATION_DURATION_HELP = "Time from the call to the outcome."


def _histogram(name: str, documentation: str, series: Any) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation, labels=["provider"])
    for entry in series:
        duration = entry["duration_seconds"]
        buckets = [(bucket["le"], bucket["count"]) for bucket in duration["buckets"]]
        family.add_metric([entry["provider"]], buckets, sum_value=duration["sum"])
    return family


class PassgateCollector(Collector):
    """A custom collector: every series of :func:`passgate.metrics`, read at
    each scrape. Per process: under multiprocess mode use
    :func:`outcome_counter` instead."""

    def collect(self) -> Iterator[Metric]:
        snapshot = metrics()
        validations = CounterMetricFamily("passgate_validations", VALIDATIONS_HELP, labels=["provider", "outcome"])
        for entry in snapshot["validations"]:
            validations.add_metric([entry["provider"], entry["outcome"]], entry["count"])
        yield validations

        calls = CounterMetricFamily(
            "passgate_upstream_calls", "HTTP requests sent to the provider, retries included.", labels=["provider"]
        )
        retries = CounterMetricFamily(
            "passgate_upstream_retries", "Requests to the provider that were retries.", labels=["provider"]
        )
        for entry in snapshot["upstream"]:
            calls.add_metric([entry["provider"]], entry["calls"])
            retries.add_metric([entry["provider"]], entry["retries"])
        yield calls
        yield retries

        store_errors = CounterMetricFamily(
            "passgate_replay_store_errors", "Replay-store claims or releases that failed.", labels=["store"]
        )
        for entry in snapshot["replay_store_errors"]:
            store_errors.add_metric([entry["store"]], entry["count"])
        yield store_errors
        yield CounterMetricFamily(
            "passgate_replay_live_evictions",
            "Live claims the memory store evicted early because it was full.",
            value=snapshot["replay_live_evictions"],
        )
        # Gauges the core added with the memory stores' fill level; absent
        # from an older core's snapshot.
        if "replay_memory_entries" in snapshot:
            yield GaugeMetricFamily(
                "passgate_replay_memory_entries",
                "Claims held by this process's memory stores.",
                value=snapshot["replay_memory_entries"],
            )
            yield GaugeMetricFamily(
                "passgate_replay_memory_capacity",
                "Claims this process's memory stores can hold (max_entries summed).",
                value=snapshot["replay_memory_capacity"],
            )

        yield _histogram("passgate_validation_duration_seconds", VALIDATION_DURATION_HELP, snapshot["validation_latency"])
        yield _histogram(
            "passgate_upstream_duration_seconds",
            "Time waiting for the provider's answer, retries included.",
            snapshot["upstream"],
        )


def register(registry: CollectorRegistry = REGISTRY) -> PassgateCollector:
    """Register a :class:`PassgateCollector` with ``registry`` and return it."""
    collector = PassgateCollector()
    registry.register(collector)
    return collector


class OutcomeCounter:
    """An ``on_outcome`` hook that counts into prometheus_client ``Counter``
    and ``Histogram`` objects, which multiprocess mode
    (``PROMETHEUS_MULTIPROC_DIR``) sums across workers. ``validations`` and
    ``duration`` are those objects."""

    def __init__(self, registry: Optional[CollectorRegistry] = REGISTRY) -> None:
        self.validations = Counter(
            "passgate_validations", VALIDATIONS_HELP, ["provider", "outcome"], registry=registry
        )
        self.duration = Histogram(
            "passgate_validation_duration_seconds",
            VALIDATION_DURATION_HELP,
            ["provider"],
            buckets=metrics()["latency_buckets_s"],
            registry=registry,
        )

    def __call__(self, outcome: Outcome) -> None:
        self.validations.labels(outcome.provider, outcome.code).inc()
        latency_ms = outcome.log_fields.get("latency_ms")
        if isinstance(latency_ms, (int, float)):
            self.duration.labels(outcome.provider).observe(latency_ms / 1000.0)

    def __repr__(self) -> str:
        return "<passgate.prometheus.OutcomeCounter>"


# One hook per registry: prometheus_client refuses a second metric of the
# same name, and a module-level hook (count_outcome) and an explicit call
# should share the same objects.
_COUNTERS: "weakref.WeakKeyDictionary[CollectorRegistry, OutcomeCounter]" = weakref.WeakKeyDictionary()
_COUNTERS_LOCK = threading.Lock()


def outcome_counter(registry: CollectorRegistry = REGISTRY) -> OutcomeCounter:
    """The :class:`OutcomeCounter` of ``registry`` (made on first use): pass
    it as ``Verifier(on_outcome=...)``."""
    with _COUNTERS_LOCK:
        counter = _COUNTERS.get(registry)
        if counter is None:
            counter = OutcomeCounter(registry)
            _COUNTERS[registry] = counter
        return counter


def count_outcome(outcome: Outcome) -> None:
    """``outcome_counter()`` as a plain function, for settings that take a
    dotted path: ``PASSGATE = {"on_outcome": "passgate.prometheus.count_outcome"}``."""
    outcome_counter()(outcome)
