'use strict';
// metrics() and metricsText(): the core's process-wide counters (compared as
// before/after deltas, since every test in this process counts), and
// passgate/prometheus in a real prom-client Registry.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const client = require('prom-client');

const { Verifier, metrics, metricsText } = require('..');
const prometheus = require('../prometheus');
const { startEmulator } = require('./helpers');

let emulator;

before(async () => { emulator = await startEmulator(); });
after(async () => { await emulator.stop(); });

function validations(provider, outcome) {
  const row = metrics().validations.find((r) => r.provider === provider && r.outcome === outcome);
  return row ? row.count : 0;
}

function upstreamCalls(provider) {
  const row = metrics().upstream.find((r) => r.provider === provider);
  return row ? row.calls : 0;
}

test('metrics() counts validations by provider and outcome, sync and async', async () => {
  const before = {
    passed: validations('captchala', 'passed'),
    replayed: validations('captchala', 'replayed'),
    missing: validations('captchala', 'missing_token'),
    turnstile: validations('turnstile', 'passed'),
    calls: upstreamCalls('captchala'),
  };
  const captchala = new Verifier(emulator.options());
  assert.equal((await captchala.validate('pt_node_metrics')).code, 'passed');
  assert.equal(captchala.validateSync('pt_node_metrics').code, 'replayed');
  assert.equal((await captchala.validate(null)).code, 'missing_token');
  const turnstile = new Verifier({ provider: 'turnstile', secretKey: 'test-secret-key', apiBase: emulator.url, environment: 'development' });
  assert.equal((await turnstile.validate('node-metrics-turnstile')).code, 'passed');

  assert.equal(validations('captchala', 'passed') - before.passed, 1);
  assert.equal(validations('captchala', 'replayed') - before.replayed, 1);
  assert.equal(validations('captchala', 'missing_token') - before.missing, 1);
  assert.equal(validations('turnstile', 'passed') - before.turnstile, 1);
  assert.equal(upstreamCalls('captchala') - before.calls, 1, 'only the first token reached the emulator');

  const snapshot = metrics();
  const latency = snapshot.validation_latency.find((r) => r.provider === 'captchala').duration_seconds;
  assert.equal(latency.buckets.at(-1).le, '+Inf');
  assert.equal(latency.buckets.at(-1).count, latency.count);
  assert.ok(latency.sum > 0);
  assert.deepEqual(snapshot.latency_buckets_s.slice(0, 2), [0.005, 0.01]);
  assert.equal(typeof snapshot.replay_live_evictions, 'number');
  // Two verifiers with a memory store each: at least their max_entries summed.
  assert.ok(snapshot.replay_memory_capacity >= 2 * 1000000, String(snapshot.replay_memory_capacity));
  assert.ok(snapshot.replay_memory_entries >= 1);
  assert.deepEqual([captchala.provider, turnstile.provider], ['captchala', 'turnstile']); // both still alive above
});

test('metricsText() holds the series in Prometheus text format', async () => {
  await new Verifier({ mode: 'test', environment: 'test' }).validate('pt_test_expired');
  const text = metricsText();
  const expired = validations('captchala', 'expired');
  assert.ok(expired >= 1);
  assert.match(text, /^# TYPE passgate_validations_total counter$/m);
  assert.ok(text.includes(`passgate_validations_total{provider="captchala",outcome="expired"} ${expired}\n`), text);
  assert.match(text, /^passgate_validation_duration_seconds_bucket\{provider="captchala",le="\+Inf"\} \d+$/m);
  assert.match(text, /^# TYPE passgate_upstream_duration_seconds histogram$/m);
});

test('passgate/prometheus: a prom-client Registry scrape sees the current counts', async () => {
  const registry = new client.Registry();
  assert.equal(prometheus.register(registry), registry);
  prometheus.register(registry); // twice: the first set stays, no "already registered" error
  const verifier = new Verifier(emulator.options());
  await verifier.validate('pt_node_prometheus');
  let scraped = await registry.metrics();
  const series = (outcome) => `passgate_validations_total{provider="captchala",outcome="${outcome}"} ${validations('captchala', outcome)}\n`;
  assert.ok(scraped.includes(series('passed')), scraped);
  assert.match(scraped, /^# HELP passgate_validations_total Validations by provider and outcome code\.$/m);
  assert.match(scraped, /^passgate_upstream_calls_total\{provider="captchala"\} [1-9]\d*$/m);
  assert.match(scraped, /^passgate_validation_duration_seconds_bucket\{provider="captchala",le="0\.005"\} \d+$/m);
  assert.match(scraped, /^passgate_upstream_duration_seconds_count\{provider="captchala"\} [1-9]\d*$/m);
  assert.match(scraped, /^# TYPE passgate_replay_memory_capacity gauge$/m);
  assert.ok(scraped.includes(`passgate_replay_memory_capacity ${metrics().replay_memory_capacity}\n`), scraped);

  // The next scrape reads the counters again.
  await verifier.validate('pt_node_prometheus');
  scraped = await registry.metrics();
  assert.ok(scraped.includes(series('replayed')), scraped);
  assert.ok(scraped.includes(series('passed')), scraped);

  // prom-client's JSON and a cluster's AggregatorRegistry (which sums per-worker series) read them too.
  const json = await registry.getMetricsAsJSON();
  const family = json.find((m) => m.name === 'passgate_validations_total');
  assert.equal(family.type, 'counter');
  const summed = client.AggregatorRegistry.aggregate([json, json]);
  const doubled = await summed.getSingleMetricAsString('passgate_validations_total');
  assert.ok(doubled.includes(`passgate_validations_total{provider="captchala",outcome="passed"} ${2 * validations('captchala', 'passed')}`), doubled);
});

test('passgate/prometheus: register() with no registry uses prom-client\'s default one', async () => {
  try {
    assert.equal(prometheus.register(), client.register);
    assert.match(await client.register.metrics(), /^# TYPE passgate_validation_duration_seconds histogram$/m);
  } finally {
    client.register.clear();
  }
  assert.throws(() => prometheus.register({}), /needs a prom-client Registry/);
});

test('passgate/prometheus as an ES module', async () => {
  const esm = await import('passgate/prometheus');
  assert.equal(esm.register, prometheus.register);
});
