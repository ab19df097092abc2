'use strict';
// passgate/express on a real Express app listening on port 0, driven by real HTTP requests.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const express = require('express');

const { Verifier } = require('..');
const { requireCaptcha } = require('../express');
const { startEmulator } = require('./helpers');

let emulator;
before(async () => { emulator = await startEmulator(); });
after(async () => { await emulator.stop(); });

// extended: true is the qs parser, which turns `name[]=` and `name[key]=` into arrays and objects.
async function withApp(verifierOptions, run, { extended = false } = {}) {
  const app = express();
  app.use(express.urlencoded({ extended }));
  app.use(express.json());
  const verifier = new Verifier(verifierOptions);
  const ran = { count: 0 };
  app.post('/login', requireCaptcha({ verifier, action: 'login' }), (req, res) => {
    ran.count += 1;
    res.json({ done: true, code: req.passgate.code, clientIp: req.passgate.logFields.client_ip });
  });
  app.post('/header', requireCaptcha({ verifier, header: 'X-Captcha-Token' }), (req, res) => {
    ran.count += 1;
    res.json({ done: true });
  });
  app.post('/signup', requireCaptcha({
    verifier,
    onFailure: (req, res, outcome) => res.status(outcome.httpStatus).send(
      `<p>${outcome.message}</p><input name="email" value="${req.body.email}">`),
  }), (req, res) => { ran.count += 1; res.send('welcome'); });
  app.get('/login', requireCaptcha({ verifier, action: 'login' }), (req, res) => res.json({ passgate: req.passgate }));
  const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    await run(base, ran);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const form = (fields) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '6.6.6.6' },
  body: new URLSearchParams(fields).toString(),
});

test('pass: the route runs with req.passgate, IP from req.ip (not X-Forwarded-For)', async () => {
  await emulator.script('pt_express_ok', { action: 'login' });
  await withApp(emulator.options(), async (base, ran) => {
    const response = await fetch(`${base}/login`, form({ captchala_token: 'pt_express_ok' }));
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.code, 'passed');
    assert.equal(body.clientIp, '127.0.0.1');
    assert.equal(ran.count, 1);
  });
});

test('Turnstile: the token is read from cf-turnstile-response; captchala_token alone is missing_token (400)', async () => {
  await emulator.script('ts_express_ok', { action: 'login' });
  await emulator.script('ts_express_other_field', { action: 'login' });
  const options = { provider: 'turnstile', secretKey: 'test-secret-key', apiBase: emulator.url, environment: 'test', expectedHostnames: ['localhost'] };
  const callsBefore = (await emulator.stats()).siteverify_calls;
  await withApp(options, async (base, ran) => {
    let response = await fetch(`${base}/login`, form({ 'cf-turnstile-response': 'ts_express_ok' }));
    assert.equal(response.status, 200);
    assert.equal((await response.json()).code, 'passed');
    response = await fetch(`${base}/login`, form({ captchala_token: 'ts_express_other_field' }));
    assert.equal(response.status, 400);
    assert.equal((await response.json()).error, 'missing_token');
    assert.equal(ran.count, 1);
  });
  assert.equal((await emulator.stats()).siteverify_calls, callsBefore + 1);
});

test('each failure class answers httpStatus with {error, message}; the route never runs', async () => {
  const table = [
    [null, null, 400, 'missing_token'],
    [null, 'sct_express', 400, 'malformed_token'],
    [{ action: 'pay' }, 'pt_express_pay', 400, 'action_mismatch'],
    [{ solved_at_offset_s: -900, action: 'login' }, 'pt_express_old', 400, 'expired'],
    [{ error: 'token_consumed' }, 'pt_express_used', 409, 'replayed'],
    [{ error: 'token_uid_mismatch' }, 'pt_express_uid', 403, 'uid_mismatch'],
    [{ error: 'token_ip_mismatch' }, 'pt_express_ip', 403, 'ip_mismatch'],
    [{ error: 'invalid_token' }, 'pt_express_invalid', 400, 'rejected'],
    [{ http_status: 429 }, 'pt_express_429', 429, 'rate_limited'],
    [{ error: 'invalid_app_key', error_in: 'envelope' }, 'pt_express_keys', 500, 'misconfigured'],
    [{ body: 'garbage' }, 'pt_express_garbage', 503, 'upstream_unavailable'],
    [null, 'dg_express', 503, 'degraded'],
    [null, 'client_express', 400, 'unverifiable'],
  ];
  await withApp(emulator.options(), async (base, ran) => {
    for (const [script, token, status, code] of table) {
      if (script) await emulator.script(token, script);
      const response = await fetch(`${base}/login`, form(token ? { captchala_token: token } : {}));
      assert.equal(response.status, status, code);
      const body = await response.json();
      assert.equal(body.error, code);
      assert.ok(body.message);
    }
    assert.equal(ran.count, 0);
  });
});

// Token fields that are not a string, as raw bodies a client can send. The token inside would pass if it were read.
const NOT_A_STRING = [
  ['application/x-www-form-urlencoded', 'captchala_token[]=pt_express_shape'],
  ['application/x-www-form-urlencoded', 'captchala_token[x]=pt_express_shape'],
  ['application/json', '{"captchala_token": ["pt_express_shape"]}'],
  ['application/json', '{"captchala_token": {"a": 1}}'],
];

for (const extended of [false, true]) {
  test(`a token that is not a string is missing_token (400), urlencoded extended: ${extended}`, async () => {
    await emulator.script('pt_express_shape', { action: 'login' });
    const callsBefore = (await emulator.stats()).validate_calls;
    await withApp(emulator.options(), async (base, ran) => {
      for (const [type, body] of NOT_A_STRING) {
        const response = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': type }, body });
        assert.equal(response.status, 400, body);
        assert.equal((await response.json()).error, 'missing_token', body);
      }
      assert.equal(ran.count, 0);
    }, { extended });
    assert.equal((await emulator.stats()).validate_calls, callsBefore);
  });
}

test('upstream down: 503 and the route handler never ran', async () => {
  await withApp(emulator.options({ apiBase: 'http://127.0.0.1:1', timeoutMs: 500 }), async (base, ran) => {
    const response = await fetch(`${base}/login`, form({ captchala_token: 'pt_express_down' }));
    assert.equal(response.status, 503);
    assert.equal((await response.json()).error, 'upstream_unavailable');
    assert.equal(ran.count, 0);
  });
});

test('replay store unreachable: 503 store_unavailable, no upstream call, the route never ran', async () => {
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const callsBefore = (await emulator.stats()).validate_calls;
  const options = emulator.options({ replayStore: `redis://127.0.0.1:${port}/0`, storeTimeoutMs: 300 });
  await withApp(options, async (base, ran) => {
    const response = await fetch(`${base}/login`, form({ captchala_token: 'pt_express_no_store' }));
    assert.equal(response.status, 503);
    assert.equal((await response.json()).error, 'store_unavailable');
    assert.equal(ran.count, 0);
  });
  assert.equal((await emulator.stats()).validate_calls, callsBefore);
});

test('JSON bodies, a named header, GET passes through, onFailure keeps the form data', async () => {
  await emulator.script('pt_express_json', { action: 'login' });
  await withApp(emulator.options(), async (base, ran) => {
    let response = await fetch(`${base}/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ captchala_token: 'pt_express_json' }),
    });
    assert.equal(response.status, 200);
    response = await fetch(`${base}/header`, { method: 'POST', headers: { 'x-captcha-token': 'pt_express_header' } });
    assert.equal(response.status, 200);
    response = await fetch(`${base}/login`);
    assert.deepEqual(await response.json(), { passgate: null });
    response = await fetch(`${base}/signup`, form({ email: 'ann@example.com', captchala_token: '' }));
    assert.equal(response.status, 400);
    const html = await response.text();
    assert.match(html, /value="ann@example.com"/);
    assert.match(html, /Please complete the captcha\./);
    assert.equal(ran.count, 2);
  });
});

test('messages follow Accept-Language', async () => {
  await withApp(emulator.options(), async (base) => {
    const response = await fetch(`${base}/login`, { ...form({}), headers: { ...form({}).headers, 'accept-language': 'fr' } });
    assert.equal((await response.json()).message, 'Veuillez compléter le captcha.');
  });
});
