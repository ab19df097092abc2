'use strict';
// reCAPTCHA, hCaptcha and Turnstile through the plain Node API.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const { Verifier, PassgateError } = require('..');
const { startEmulator } = require('./helpers');

const SECRET_KEY = 'test-secret-key'; // the emulator's siteverify secret
const WRONG_SECRET = 'sk_siteverify_VERY_SECRET_value';
const FORM_FIELDS = {
  captchala: 'captchala_token',
  recaptcha: 'g-recaptcha-response',
  hcaptcha: 'h-captcha-response',
  turnstile: 'cf-turnstile-response',
};

let emulator;
before(async () => { emulator = await startEmulator(); });
after(async () => { await emulator.stop(); });

function siteverify(provider, options = {}) {
  return new Verifier({ provider, secretKey: SECRET_KEY, apiBase: emulator.url, environment: 'test', timeoutMs: 2000, ...options });
}

function capture() {
  const lines = [];
  const logger = { info: (obj) => lines.push(obj), warn: (obj) => lines.push(obj) };
  return { lines, logger };
}

test('reCAPTCHA: a score below minScore is score_too_low (retryable, 403); above it passes', async () => {
  const { lines, logger } = capture();
  const verifier = siteverify('recaptcha', { minScore: 0.7, expectedHostnames: ['localhost'], logger });
  await emulator.script('rc_node_api_low', { score: 0.6, action: 'login' });
  await emulator.script('rc_node_api_high', { score: 0.9, action: 'login' });
  const low = await verifier.validate('rc_node_api_low', { action: 'login' });
  assert.deepEqual([low.ok, low.code, low.category, low.retryable, low.httpStatus], [false, 'score_too_low', 'client', true, 403]);
  assert.deepEqual([low.provider, low.hostname, low.score, low.cdata], ['recaptcha', 'localhost', 0.6, null]);
  assert.deepEqual([low.logFields.provider, low.logFields.hostname, low.logFields.score], ['recaptcha', 'localhost', 0.6]);
  const high = await verifier.validate('rc_node_api_high', { action: 'login' });
  assert.deepEqual([high.ok, high.code, high.score], [true, 'passed', 0.9]);
  assert.deepEqual(lines.map((fields) => [fields.hostname, fields.score]), [['localhost', 0.6], ['localhost', 0.9]]);
});

test('Turnstile: the outcome has cdata and hostname, no score; cdata stays out of the log record', async () => {
  const verifier = siteverify('turnstile', { expectedHostnames: ['localhost'] });
  await emulator.script('ts_node_api_cdata', { cdata: 'session-42', action: 'login' });
  const outcome = await verifier.validate('ts_node_api_cdata', { action: 'login' });
  assert.deepEqual([outcome.ok, outcome.code], [true, 'passed']);
  assert.deepEqual([outcome.provider, outcome.hostname, outcome.score, outcome.cdata], ['turnstile', 'localhost', null, 'session-42']);
  assert.deepEqual([outcome.logFields.hostname, outcome.logFields.score, outcome.logFields.token_type], ['localhost', null, 'opaque']);
  assert.equal('cdata' in outcome.logFields, false);
});

test('hCaptcha: a risk score above maxRiskScore is score_too_low', async () => {
  const verifier = siteverify('hcaptcha', { siteKey: 'test-site-key', maxRiskScore: 0.5 });
  await emulator.script('hc_node_api_risky', { score: 0.8 });
  await emulator.script('hc_node_api_calm', { score: 0.2 });
  const risky = await verifier.validate('hc_node_api_risky');
  assert.deepEqual([risky.code, risky.httpStatus, risky.retryable, risky.score], ['score_too_low', 403, true, 0.8]);
  const calm = await verifier.validate('hc_node_api_calm');
  assert.deepEqual([calm.code, calm.provider, calm.score, calm.logFields.score], ['passed', 'hcaptcha', 0.2, 0.2]);
});

test('a hostname not in expectedHostnames is hostname_mismatch (not retryable, 403)', async () => {
  const outcome = await siteverify('turnstile', { expectedHostnames: ['example.com'] }).validate('ts_node_api_elsewhere');
  assert.deepEqual([outcome.ok, outcome.code, outcome.category, outcome.retryable, outcome.httpStatus],
    [false, 'hostname_mismatch', 'client', false, 403]);
  assert.deepEqual([outcome.hostname, outcome.logFields.hostname], ['localhost', 'localhost']);
});

test('provider options of the wrong type or for another provider are PASSGATE_CONFIG naming the setting', () => {
  const cases = [
    ['turnstile', { expectedHostnames: [1, 2] }, 'expectedHostnames'],
    ['turnstile', { expectedHostnames: { host: 'localhost' } }, 'expectedHostnames'],
    ['recaptcha', { minScore: 'high' }, 'min_score'],
    ['hcaptcha', { maxRiskScore: 'risky' }, 'max_risk_score'],
    ['turnstile', { appKey: 'test-app-key' }, 'app_key'],
    ['turnstile', { minScore: 0.7 }, 'min_score'],
    ['nocaptcha', {}, 'provider'],
  ];
  for (const [provider, options, setting] of cases) {
    assert.throws(() => siteverify(provider, options), (err) => {
      assert.ok(err instanceof PassgateError);
      assert.equal(err.code, 'PASSGATE_CONFIG');
      assert.match(err.message, new RegExp(`: ${setting}:`));
      return true;
    }, setting);
  }
});

test('issueServerToken with Turnstile rejects with PASSGATE_ISSUE "not supported by provider turnstile"', async () => {
  const before = (await emulator.stats()).issue_calls;
  await assert.rejects(siteverify('turnstile').issueServerToken('login'), (err) => {
    assert.ok(err instanceof PassgateError);
    assert.equal(err.code, 'PASSGATE_ISSUE');
    assert.match(err.message, /not supported by provider turnstile/);
    return true;
  });
  assert.equal((await emulator.stats()).issue_calls, before);
});

test('provider and formField for every provider', () => {
  for (const [provider, field] of Object.entries(FORM_FIELDS)) {
    const verifier = provider === 'captchala' ? new Verifier(emulator.options()) : siteverify(provider);
    assert.deepEqual([verifier.provider, verifier.formField], [provider, field]);
  }
});

test('the secret key is in no printed form: util.inspect, JSON, outcomes, log records', async () => {
  const printed = [];
  for (const provider of ['recaptcha', 'hcaptcha', 'turnstile']) {
    const { lines, logger } = capture();
    const right = siteverify(provider, { logger });
    const wrong = siteverify(provider, { secretKey: WRONG_SECRET, logger });
    for (const [verifier, token] of [[right, `tok_node_print_${provider}`], [wrong, `tok_node_print_wrong_${provider}`]]) {
      const outcome = await verifier.validate(token);
      printed.push(util.inspect(verifier, { depth: null }), JSON.stringify(verifier), String(verifier),
        util.inspect(outcome, { depth: null }), JSON.stringify(outcome));
    }
    printed.push(util.inspect(lines, { depth: null }));
  }
  const text = printed.join('\n');
  assert.match(text, /misconfigured/);
  assert.match(text, /passed/);
  assert.ok(!text.includes(SECRET_KEY), 'test-secret-key printed');
  assert.ok(!text.includes(WRONG_SECRET), 'wrong secret printed');
});
