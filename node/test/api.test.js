'use strict';
// The Node API: configuration, outcomes, logger, errors, bad input, secrets.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const { Verifier, PassgateError, OUTCOME_CODES } = require('..');
const { startEmulator } = require('./helpers');

const SECRET = 'sk_live_VERY_SECRET_value';
const RAW_TOKEN = 'pt_RAW_TOKEN_must_not_leak';
let emulator;

before(async () => { emulator = await startEmulator(); });
after(async () => { await emulator.stop(); });

function capture() {
  const lines = [];
  return {
    lines,
    logger: {
      info: (obj, msg) => lines.push(['info', obj, msg]),
      warn: (obj, msg) => lines.push(['warn', obj, msg]),
    },
  };
}

test('validate passes with every attribute', async () => {
  await emulator.script('pt_node_attrs', { action: 'login', uid: 'user-1', risk_score: 33, challenge_id: 'ch_node' });
  const verifier = new Verifier(emulator.options());
  const outcome = await verifier.validate('pt_node_attrs', { clientIp: '203.0.113.9', action: 'login', uid: 'user-1' });
  assert.equal(outcome.ok, true);
  assert.equal(outcome.code, 'passed');
  assert.equal(outcome.category, 'passed');
  assert.equal(outcome.retryable, false);
  assert.equal(outcome.httpStatus, 200);
  assert.equal(outcome.message, 'Verification passed.');
  assert.equal(outcome.messageFor('es'), 'Verificación superada.');
  assert.deepEqual([outcome.action, outcome.uid, outcome.riskScore, outcome.challengeId], ['login', 'user-1', 33, 'ch_node']);
  assert.equal(outcome.captchaArgs.userIp, '203.0.113.9');
  assert.equal(outcome.logFields.client_ip, '203.0.113.9');
  assert.ok(Object.isFrozen(outcome));
});

test('fromEnv reads the environment', async () => {
  const saved = { ...process.env };
  Object.assign(process.env, {
    CAPTCHALA_APP_KEY: 'test-app-key',
    CAPTCHALA_APP_SECRET: 'test-app-secret',
    PASSGATE_API_BASE: emulator.url,
    PASSGATE_ENVIRONMENT: 'staging',
  });
  try {
    const outcome = await Verifier.fromEnv().validate('pt_node_env');
    assert.equal(outcome.code, 'passed');
    assert.equal(outcome.logFields.environment, 'staging');
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  }
});

test('config errors have code PASSGATE_CONFIG and name the setting', () => {
  const cases = [
    [{ appKey: 'k' }, 'app_secret'],
    [{ appKey: 'k', appSecret: 's', apiBase: 'not a url' }, 'api_base'],
    [{ appKey: 'k', appSecret: 's', mode: 'test' }, 'mode'],
    [{ appKey: 'k', appSecret: 's', timeoutMs: 'soon' }, 'timeout_ms'],
    [{ appKey: 'k', appSecret: 's', timeoutMs: 1.5 }, 'timeout_ms'],
    [{ appKey: 'k', appSecret: 's', apiKey: 'x' }, 'api_key'],
    [{ appKey: 'k', appSecret: 's', timeoutMs: {} }, 'timeoutMs'],
    [{ appKey: 'k', appSecret: 's', logger: {} }, 'logger'],
  ];
  for (const [options, setting] of cases) {
    assert.throws(() => new Verifier({ environment: 'production', ...options }), (err) => {
      assert.ok(err instanceof PassgateError);
      assert.equal(err.code, 'PASSGATE_CONFIG');
      assert.match(err.message, new RegExp(`: ${setting}:`));
      return true;
    });
  }
});

test('logger gets info on pass and warn on failure; nothing without one', async () => {
  const { lines, logger } = capture();
  const verifier = new Verifier({ ...emulator.options(), logger });
  await verifier.validate('pt_node_logged');
  await verifier.validate('pt_node_logged');
  assert.deepEqual(lines.map(([level, obj]) => [level, obj.outcome]), [['info', 'passed'], ['warn', 'replayed']]);
  assert.match(lines[1][2], /outcome=replayed/);
  assert.equal(lines[0][1].event, 'passgate.validate');
});

test('no secret or raw token in inspect, errors or logger output', async () => {
  const { lines, logger } = capture();
  const wrong = new Verifier({ ...emulator.options({ appSecret: SECRET }), logger });
  const seen = [util.inspect(wrong, { depth: 5, showHidden: true }), JSON.stringify(wrong)];
  for (const token of [RAW_TOKEN, 'co_RAW_TOKEN', 'sct_RAW_TOKEN', 'pt_RAW_TOKEN with space']) {
    const outcome = await wrong.validate(token);
    seen.push(util.inspect(outcome, { depth: 5, showHidden: true }), JSON.stringify(outcome));
  }
  for (const bad of [{ appKey: 'k', appSecret: SECRET + ' space' }, { appKey: 'k', appSecret: SECRET, apiBase: 'ftp://x' }]) {
    try { new Verifier(bad); } catch (err) { seen.push(err.message, util.inspect(err)); }
  }
  try { await wrong.issueServerToken('login'); } catch (err) { seen.push(err.message, util.inspect(err)); }
  seen.push(JSON.stringify(lines));
  const printed = seen.join('\n');
  assert.ok(!printed.includes(SECRET));
  assert.ok(!printed.includes('RAW_TOKEN'));
  assert.match(printed, /misconfigured/);
});

test('bad token types are TypeErrors; bad values have defined outcomes', async () => {
  const verifier = new Verifier(emulator.options());
  for (const bad of [42, {}, ['pt_x'], true, Symbol('x')]) {
    await assert.rejects(verifier.validate(bad), TypeError);
    assert.throws(() => verifier.validateSync(bad), TypeError);
  }
  await assert.rejects(verifier.validate('pt_x', 'login'), TypeError);
  await assert.rejects(verifier.validate('pt_x', { action: 7 }), TypeError);
  const before = (await emulator.stats()).validate_calls;
  for (const [token, code] of [[undefined, 'missing_token'], [null, 'missing_token'], ['', 'missing_token'],
    ['x'.repeat(1024 * 1024), 'malformed_token'], ['pt_nul\u0000byte', 'malformed_token'], ['pt_\ud800', 'malformed_token']]) {
    assert.equal((await verifier.validate(token)).code, code);
  }
  assert.equal((await emulator.stats()).validate_calls, before);
});

test('a panic inside the core is PASSGATE_INTERNAL and the process lives on', async () => {
  const verifier = new Verifier({ mode: 'test', environment: 'test' });
  await assert.rejects(verifier.validate('pt_test_internal_error'), (err) => err.code === 'PASSGATE_INTERNAL');
  const other = new Verifier({ mode: 'test', environment: 'test' });
  assert.throws(() => other.validateSync('pt_test_internal_error'), (err) => err.code === 'PASSGATE_INTERNAL');
  assert.equal((await verifier.validate('pt_test_passed')).code, 'passed');
});

test('issueServerToken', async () => {
  const verifier = new Verifier(emulator.options());
  const token = await verifier.issueServerToken('login', { bindingIp: '203.0.113.9', ttl: 60, maxUses: 1, bindUid: 'u1' });
  assert.match(token.serverToken, /^sct_/);
  assert.equal(token.expiresIn, 60);
  const wrong = new Verifier(emulator.options({ appSecret: 'nope' }));
  await assert.rejects(wrong.issueServerToken('login'), (err) => {
    assert.equal(err.code, 'PASSGATE_ISSUE');
    assert.equal(err.outcome, 'misconfigured');
    assert.equal(err.upstreamError, 'invalid_app_secret');
    return true;
  });
});

test('test mode produces every code', async () => {
  const verifier = new Verifier({ mode: 'test', environment: 'test' });
  for (const code of OUTCOME_CODES) {
    const outcome = await verifier.validate(`pt_test_${code}`);
    assert.equal(outcome.code, code);
    assert.equal(outcome.logFields.upstream_called, false);
  }
});

test('ESM import works', async () => {
  const esm = await import('passgate');
  assert.equal(typeof esm.Verifier, 'function');
  assert.equal(esm.Verifier, Verifier);
  const express = await import('passgate/express');
  assert.equal(typeof express.requireCaptcha, 'function');
});
