'use strict';
// passgate/express on a real Express app listening on port 0, driven by real HTTP requests.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const express = require('express');

const { Verifier } = require('..');
const { requireCaptcha, CaptchaError } = require('../express');
const { startEmulator } = require('./helpers');

let emulator;
let viewsDir;
before(async () => {
  emulator = await startEmulator();
  // A one-view engine for the `render` option: {{name}} and {{body.name}} from the locals, HTML-escaped.
  viewsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passgate-express-views-'));
  fs.writeFileSync(path.join(viewsDir, 'signup.tpl'),
    '<form method="post"><p class="error">{{message}}</p><p class="code">{{passgate.code}}</p>'
    + '<input name="email" value="{{body.email}}"></form>');
});
after(async () => {
  await emulator.stop();
  fs.rmSync(viewsDir, { recursive: true, force: true });
});

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function tplEngine(file, locals, callback) {
  fs.readFile(file, 'utf8', (err, text) => {
    if (err) return callback(err);
    callback(null, text.replace(/\{\{([\w.]+)\}\}/g, (_, key) => {
      const value = key.split('.').reduce((object, part) => (object == null ? undefined : object[part]), locals);
      return escapeHtml(value ?? '');
    }));
  });
}

// extended: true is the qs parser, which turns `name[]=` and `name[key]=` into arrays and objects.
async function withApp(verifierOptions, run, { extended = false } = {}) {
  const app = express();
  app.engine('tpl', tplEngine);
  app.set('views', viewsDir);
  app.set('view engine', 'tpl');
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
  // Every method, to see which pass through unverified; the route says what it saw in a header (HEAD has no body).
  app.all('/any', requireCaptcha({ verifier }), (req, res) => {
    ran.count += 1;
    res.set('x-seen', `${req.method} ${JSON.stringify(req.passgate)}`).send('ran');
  });
  app.post('/register', requireCaptcha({ verifier, render: 'signup' }), (req, res) => { ran.count += 1; res.send('welcome'); });
  app.post('/api/login', requireCaptcha({ verifier, action: 'login', passToNext: true }), (req, res) => {
    ran.count += 1;
    res.json({ done: true });
  });
  app.post('/api/custom', requireCaptcha({
    verifier, passToNext: true, onFailure: (req, res, outcome) => res.status(418).json({ custom: outcome.code }),
  }), (req, res) => { ran.count += 1; res.json({ done: true }); });
  // The app's own error handler, as `passToNext` expects.
  app.use((err, req, res, next) => {
    if (!(err instanceof CaptchaError)) return next(err);
    res.status(err.status).json({
      handled: true, name: err.name, message: err.message, status: err.status, statusCode: err.statusCode,
      code: err.code, expose: err.expose, sameOutcome: err.outcome === req.passgate, outcomeCode: err.outcome.code,
    });
  });
  const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    await run(base, ran);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

// A form post from a client that asks for JSON (Accept: application/json), so failures answer JSON.
const form = (fields) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '6.6.6.6', accept: 'application/json' },
  body: new URLSearchParams(fields).toString(),
});

// The same form as a browser submits it: failures answer HTML.
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const browserForm = (fields, headers = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: BROWSER_ACCEPT, ...headers },
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
        const response = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': type, accept: 'application/json' }, body });
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

// fetch refuses TRACE (a forbidden method), so the request goes through node:http.
function rawRequest(url, method, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

test('GET, HEAD, OPTIONS and TRACE pass through unverified (req.passgate null); every other method is verified', async () => {
  await withApp(emulator.options(), async (base, ran) => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'TRACE']) {
      const response = await rawRequest(`${base}/any`, method);
      assert.equal(response.status, 200, method);
      assert.equal(response.headers['x-seen'], `${method} null`);
    }
    assert.equal(ran.count, 4);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND']) {
      const response = await rawRequest(`${base}/any`, method, { accept: 'application/json' });
      assert.equal(response.status, 400, method);
      assert.equal(JSON.parse(response.body).error, 'missing_token', method);
    }
    assert.equal(ran.count, 4);
  });
});

test('messages follow Accept-Language', async () => {
  await withApp(emulator.options(), async (base) => {
    const response = await fetch(`${base}/login`, { ...form({}), headers: { ...form({}).headers, 'accept-language': 'fr' } });
    assert.equal((await response.json()).message, 'Veuillez compléter le captcha.');
  });
});

test('which failures answer JSON: a JSON body, X-Requested-With, an Accept that prefers JSON; else HTML', async () => {
  const cases = [
    ['form, browser Accept', browserForm({}), 'html'],
    ['form, Accept */* (fetch default)', { ...browserForm({}), headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 'html'],
    ['form, Accept: application/json', form({}), 'json'],
    ['form, Accept with JSON and HTML', browserForm({}, { accept: 'application/json, text/html;q=0.5' }), 'html'],
    ['form, X-Requested-With', browserForm({}, { 'x-requested-with': 'XMLHttpRequest' }), 'json'],
    ['JSON body, browser Accept', { method: 'POST', headers: { 'content-type': 'application/json', accept: BROWSER_ACCEPT }, body: '{}' }, 'json'],
  ];
  await withApp(emulator.options(), async (base, ran) => {
    for (const [name, request, kind] of cases) {
      for (const route of ['/login', '/register']) {
        const response = await fetch(`${base}${route}`, request);
        assert.equal(response.status, 400, `${name} ${route}`);
        const type = response.headers.get('content-type');
        if (kind === 'json') {
          assert.match(type, /^application\/json/, `${name} ${route}`);
          assert.deepEqual(await response.json(), { error: 'missing_token', message: 'Please complete the captcha.' });
        } else {
          assert.match(type, /^text\/html; charset=utf-8/, `${name} ${route}`);
          assert.match(await response.text(), /Please complete the captcha\./);
        }
      }
    }
    assert.equal(ran.count, 0);
  });
});

test('HTML failure without render: a short page with the message, escaped, the way back (no script: a strict CSP holds) and the status', async () => {
  await emulator.script('pt_express_html_rejected', { error: 'invalid_token' });
  await emulator.script('pt_express_html_uid', { error: 'token_uid_mismatch' });
  await withApp(emulator.options(), async (base, ran) => {
    let response = await fetch(`${base}/login`, browserForm({ captchala_token: 'pt_express_html_rejected' }, { 'accept-language': 'fr' }));
    assert.equal(response.status, 400);
    assert.match(response.headers.get('content-type'), /^text\/html; charset=utf-8/);
    let html = await response.text();
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<p role="alert">Le captcha n&#39;a pas pu être vérifié\. Veuillez réessayer\.<\/p>/);
    assert.doesNotMatch(html, /n'a/);
    assert.doesNotMatch(html, /javascript:|<script/);
    assert.match(html, /<\/p><p>[^<]+<\/p><\/body>/, 'a second paragraph says how to get back to the form');
    response = await fetch(`${base}/login`, browserForm({ captchala_token: 'pt_express_html_uid' }, { 'accept-language': 'fr' }));
    assert.equal(response.status, 403);
    html = await response.text();
    assert.match(html, /<p role="alert">Le captcha n&#39;appartient pas à ce compte\.<\/p>/);
    assert.equal(ran.count, 0);
  });
});

test('HTML failure with render: the view gets the outcome, the message and the kept body, with the status', async () => {
  await emulator.script('pt_express_render_used', { error: 'token_consumed' });
  await withApp(emulator.options(), async (base, ran) => {
    let response = await fetch(`${base}/register`, browserForm({ email: 'ann@example.com', captchala_token: '' }));
    assert.equal(response.status, 400);
    assert.match(response.headers.get('content-type'), /^text\/html/);
    assert.equal(await response.text(),
      '<form method="post"><p class="error">Please complete the captcha.</p><p class="code">missing_token</p>'
      + '<input name="email" value="ann@example.com"></form>');
    response = await fetch(`${base}/register`, browserForm(
      { email: '"><script>x</script>', captchala_token: 'pt_express_render_used' }, { 'accept-language': 'fr' }));
    assert.equal(response.status, 409);
    const html = await response.text();
    assert.match(html, /<p class="code">replayed<\/p>/);
    assert.match(html, /value="&#34;&#62;&#60;script&#62;x&#60;\/script&#62;"/);
    assert.doesNotMatch(html, /Please/); // the message is in the request's language
    assert.equal(ran.count, 0);
    // A pass still reaches the route.
    await emulator.script('pt_express_render_ok', {});
    response = await fetch(`${base}/register`, browserForm({ captchala_token: 'pt_express_render_ok' }));
    assert.equal(await response.text(), 'welcome');
    assert.equal(ran.count, 1);
  });
});

test('passToNext: the failure reaches the app error handler as a CaptchaError with status/code; onFailure still wins', async () => {
  await emulator.script('pt_express_next_used', { error: 'token_consumed' });
  await withApp(emulator.options(), async (base, ran) => {
    for (const request of [browserForm({}), form({})]) {
      const response = await fetch(`${base}/api/login`, request);
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), {
        handled: true, name: 'CaptchaError', message: 'Please complete the captcha.', status: 400, statusCode: 400,
        code: 'missing_token', expose: true, sameOutcome: true, outcomeCode: 'missing_token',
      });
    }
    let response = await fetch(`${base}/api/login`, form({ captchala_token: 'pt_express_next_used' }));
    assert.equal(response.status, 409);
    const body = await response.json();
    assert.equal(body.code, 'replayed');
    assert.equal(body.statusCode, 409);
    response = await fetch(`${base}/api/custom`, form({}));
    assert.equal(response.status, 418);
    assert.deepEqual(await response.json(), { custom: 'missing_token' });
    assert.equal(ran.count, 0);
  });
});

test('TypeScript: req.passgate is declared on Express.Request as Outcome | null | undefined', () => {
  // test/usage.ts (types.test.js) compiles a route reading req.passgate?.ok; this checks the declaration has teeth.
  const tsc = require.resolve('typescript/bin/tsc');
  const file = path.join(__dirname, 'express-misuse.generated.ts');
  const check = (source) => {
    fs.writeFileSync(file, source);
    try {
      return spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext',
        '--moduleResolution', 'nodenext', '--target', 'es2022', file], { encoding: 'utf8', cwd: path.join(__dirname, '..') });
    } finally {
      fs.rmSync(file, { force: true });
    }
  };
  const route = 'export function route(req: Express.Request): boolean {\n  return req.passgate?.ok ?? false;\n}\n';
  let result = check(`import 'passgate/express';\n${route}`);
  assert.equal(result.status, 0, result.stdout + result.stderr);
  result = check("import 'passgate/express';\nexport const f = (req: Express.Request): boolean => req.passgate.ok;\n");
  assert.notEqual(result.status, 0);
  assert.match(result.stdout, /'req\.passgate' is possibly 'null' or 'undefined'/);
  result = check("import 'passgate/express';\nexport const f = (req: Express.Request): number | undefined => req.passgate?.code;\n");
  assert.notEqual(result.status, 0);
  assert.match(result.stdout, /not assignable to type 'number'/);
});
