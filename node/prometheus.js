'use strict';
// passgate/prometheus: the core's per-process counters and histograms in a
// prom-client Registry. Each metric reads `metrics()` when the registry is
// scraped, so a scrape sees the current values; nothing is recorded twice.
//
// The metrics speak prom-client's metric protocol (`get()` resolving to
// {name, help, type, values, aggregator}) rather than being Counter and
// Histogram objects: the core already keeps cumulative histogram buckets,
// which a prom-client Histogram can only rebuild by observing. `aggregator:
// 'sum'` lets a cluster's AggregatorRegistry add the workers' series up
// (the memory-store gauges too: each worker's stores are its own).

const { metrics, metricsText } = require('./index.js');

// Each family's help text, as the core's own exposition states it.
const HELP = new Map(Array.from(metricsText().matchAll(/^# HELP (\S+) (.*)$/gm), ([, name, help]) => [name, help]));

/** Counter series: `[labels, value]` from a snapshot. */
const COUNTERS = {
  passgate_validations_total: (snapshot) =>
    snapshot.validations.map(({ provider, outcome, count }) => [{ provider, outcome }, count]),
  passgate_upstream_calls_total: (snapshot) => snapshot.upstream.map(({ provider, calls }) => [{ provider }, calls]),
  passgate_upstream_retries_total: (snapshot) => snapshot.upstream.map(({ provider, retries }) => [{ provider }, retries]),
  passgate_replay_store_errors_total: (snapshot) => snapshot.replay_store_errors.map(({ store, count }) => [{ store }, count]),
  passgate_replay_live_evictions_total: (snapshot) => [[{}, snapshot.replay_live_evictions]],
};

/** Gauge series (this process's memory stores), from a snapshot. */
const GAUGES = {
  passgate_replay_memory_entries: (snapshot) => [[{}, snapshot.replay_memory_entries]],
  passgate_replay_memory_capacity: (snapshot) => [[{}, snapshot.replay_memory_capacity]],
};

/** Histogram series: `[labels, {buckets: [{le, count}], count, sum}]` from a snapshot. */
const HISTOGRAMS = {
  passgate_validation_duration_seconds: (snapshot) =>
    snapshot.validation_latency.map(({ provider, duration_seconds }) => [{ provider }, duration_seconds]),
  passgate_upstream_duration_seconds: (snapshot) =>
    snapshot.upstream.map(({ provider, duration_seconds }) => [{ provider }, duration_seconds]),
};

function plainValues(series) {
  return series.map(([labels, value]) => ({ labels, value }));
}

// As prom-client's Histogram reports them: cumulative `_bucket`s with `le`, then `_sum` and `_count`.
function histogramValues(name, series) {
  return series.flatMap(([labels, histogram]) => [
    ...histogram.buckets.map(({ le, count }) => ({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: count })),
    { metricName: `${name}_sum`, labels, value: histogram.sum },
    { metricName: `${name}_count`, labels, value: histogram.count },
  ]);
}

class PassgateMetric {
  constructor(name, type, series) {
    this.name = name;
    this.help = HELP.get(name) || name;
    this.type = type;
    this.aggregator = 'sum';
    this.series = series;
  }

  async get() {
    // OpenMetrics output renames counters (drops `_total`) before calling get(): this.name is current.
    const found = this.series(metrics());
    const values = this.type === 'histogram' ? histogramValues(this.name, found) : plainValues(found);
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The core's series are process-wide (counters only grow): registry.resetMetrics() leaves them be. */
  reset() {}
}

function defaultRegistry() {
  try {
    return require('prom-client').register;
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND') {
      throw new Error('passgate/prometheus: register() without a registry uses prom-client\'s default one; ' +
        'install prom-client (npm install prom-client) or pass a Registry');
    }
    throw err;
  }
}

/**
 * Add passgate's metrics (passgate_validations_total, …_duration_seconds, …)
 * to `registry` (prom-client's default registry when omitted). Registering
 * twice in the same registry keeps the first set.
 * @param {import('prom-client').Registry} [registry]
 * @returns the registry
 */
function register(registry) {
  const target = registry || defaultRegistry();
  if (typeof target.registerMetric !== 'function' || typeof target.getSingleMetric !== 'function') {
    throw new TypeError('passgate/prometheus: register(registry) needs a prom-client Registry');
  }
  const families = [
    ...Object.entries(COUNTERS).map(([name, series]) => [name, 'counter', series]),
    ...Object.entries(GAUGES).map(([name, series]) => [name, 'gauge', series]),
    ...Object.entries(HISTOGRAMS).map(([name, series]) => [name, 'histogram', series]),
  ];
  for (const [name, type, series] of families) {
    if (target.getSingleMetric(name) instanceof PassgateMetric) continue;
    target.registerMetric(new PassgateMetric(name, type, series));
  }
  return target;
}

module.exports = { register };
