'use strict';
// new Verifier({ onOutcome }): called once per validation with the Outcome,
// after the log record; what it throws (or rejects with) is logged and the
// validation answers as usual.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { once } = require('node:events');

const { Verifier, Outcome, PassgateError } = require('..');
const { startEmulator } = require('./helpers');

const RAW_TOKEN = 'pt_on_outcome_RAW_token';
let emulator;

before(async () => { emulator = await startEmulator(); });
after(async () => { await emulator.stop(); });

/** A logger that records every call, in order, with `error` unless told not to. */
function capture({ withError = true } = {}) {
  const calls = [];
  const logger = {
    info: (obj, msg) => calls.push(['info', obj, msg]),
    warn: (obj, msg) => calls.push(['warn', obj, msg]),
  };
  if (withError) logger.error = (obj, msg) => calls.push(['error', obj, msg]);
  return { calls, logger };
}

test('called once per validation, after the log record, sync and async', async () => {
  const { calls, logger } = capture();
  const verifier = new Verifier({
    ...emulator.options(),
    logger,
    onOutcome: (outcome) => calls.push(['onOutcome', outcome]),
  });
  const first = await verifier.validate(RAW_TOKEN);
  const second = verifier.validateSync(RAW_TOKEN);
  assert.deepEqual([first.code, second.code], ['passed', 'replayed']);
  assert.deepEqual(calls.map(([kind]) => kind), ['info', 'onOutcome', 'warn', 'onOutcome']);
  assert.equal(calls[1][1], first);
  assert.equal(calls[3][1], second);
  assert.ok(calls[1][1] instanceof Outcome);
});

test('a throw is logged at error level with its class and message, and the outcome is returned', async () => {
  const { calls, logger } = capture();
  class MetricsDown extends Error {}
  const verifier = new Verifier({
    ...emulator.options(),
    logger,
    onOutcome: () => { throw new MetricsDown('statsd is down'); },
  });
  const outcome = await verifier.validate(`${RAW_TOKEN}_throw`);
  assert.equal(outcome.code, 'passed');
  assert.equal(verifier.validateSync(null).code, 'missing_token');
  const errors = calls.filter(([level]) => level === 'error');
  assert.equal(errors.length, 2);
  const [, fields, message] = errors[0];
  assert.deepEqual(fields, {
    event: 'passgate.on_outcome_error',
    outcome: 'passed',
    provider: 'captchala',
    error_class: 'MetricsDown',
    error_message: 'statsd is down',
  });
  assert.match(message, /onOutcome threw MetricsDown: statsd is down/);
  assert.ok(!JSON.stringify(calls).includes(RAW_TOKEN), 'the token is never logged');
});

test('a rejected promise is logged too; a logger without error() gets warn()', async () => {
  const { calls, logger } = capture({ withError: false });
  let logged;
  const failureLogged = new Promise((resolve) => { logged = resolve; });
  const verifier = new Verifier({
    mode: 'test', environment: 'test',
    logger: { ...logger, warn: (obj, msg) => { logger.warn(obj, msg); if (obj.event === 'passgate.on_outcome_error') logged(); } },
    onOutcome: async () => { throw new RangeError('async hook failed'); },
  });
  assert.equal((await verifier.validate('pt_test_passed')).code, 'passed');
  await failureLogged;
  const [level, fields] = calls.at(-1);
  assert.equal(level, 'warn');
  assert.equal(fields.error_class, 'RangeError');
  assert.equal(fields.error_message, 'async hook failed');
});

test('with no logger, a throw becomes a process warning', async () => {
  const verifier = new Verifier({ mode: 'test', environment: 'test', onOutcome: () => { throw new TypeError('no such metric'); } });
  const warned = once(process, 'warning');
  assert.equal(verifier.validateSync('pt_test_expired').code, 'expired');
  const [warning] = await warned;
  assert.equal(warning.code, 'PASSGATE_ON_OUTCOME');
  assert.match(warning.message, /onOutcome threw TypeError: no such metric/);
});

test('a non-callable onOutcome is a config error naming on_outcome; fromEnv passes it through', () => {
  for (const bad of ['log', 42, {}, []]) {
    assert.throws(() => new Verifier({ mode: 'test', environment: 'test', onOutcome: bad }),
      (err) => err instanceof PassgateError && err.code === 'PASSGATE_CONFIG' && /on_outcome/.test(err.message) && /onOutcome/.test(err.message));
  }
  assert.doesNotThrow(() => new Verifier({ mode: 'test', environment: 'test', onOutcome: null }));
  const seen = [];
  const saved = process.env.PASSGATE_MODE;
  const savedEnvironment = process.env.PASSGATE_ENVIRONMENT;
  process.env.PASSGATE_MODE = 'test';
  process.env.PASSGATE_ENVIRONMENT = 'test';
  try {
    Verifier.fromEnv({ onOutcome: (outcome) => seen.push(outcome.code) }).validateSync('pt_test_replayed');
  } finally {
    if (saved === undefined) delete process.env.PASSGATE_MODE; else process.env.PASSGATE_MODE = saved;
    if (savedEnvironment === undefined) delete process.env.PASSGATE_ENVIRONMENT; else process.env.PASSGATE_ENVIRONMENT = savedEnvironment;
  }
  assert.deepEqual(seen, ['replayed']);
});
