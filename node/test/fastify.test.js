'use strict';
// passgate/fastify on a real Fastify app, driven with fastify.inject against the emulator.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const Fastify = require('fastify');
const formbody = require('@fastify/formbody');

const { Verifier } = require('..');
const passgate = require('../fastify');
const { requireCaptcha } = require('../fastify');
const { startEmulator } = require('./helpers');

let emulator;
before(async () => { emulator = await startEmulator(); });
after(async () => { await emulator.stop(); });

const ALL_METHODS = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'POST', 'PUT', 'PATCH', 'DELETE'];

async function withApp(verifierOptions, run, { trustProxy = false, plugin = {} } = {}) {
  const app = Fastify({ trustProxy, exposeHeadRoutes: false });
  await app.register(formbody);
  const verifier = new Verifier(verifierOptions);
  await app.register(passgate, { verifier, ...plugin });
  const ran = { count: 0 };
  app.post('/login', { preHandler: app.passgate.requireCaptcha({ action: 'login' }) }, async (request) => {
    ran.count += 1;
    return { done: true, code: request.passgate.code, clientIp: request.passgate.logFields.client_ip };
  });
  app.post('/header', { preHandler: app.passgate.requireCaptcha({ header: 'X-Captcha-Token' }) }, async () => {
    ran.count += 1;
    return { done: true };
  });
  app.post('/plain', { preHandler: app.passgate.requireCaptcha() }, async () => {
    ran.count += 1;
    return { done: true };
  });
  app.post('/signup', {
    preHandler: app.passgate.requireCaptcha({
      onFailure: (request, reply, outcome) => reply.code(outcome.httpStatus).type('text/html')
        .send(`<p>${outcome.message}</p><input name="email" value="${request.body.email}">`),
    }),
  }, async () => { ran.count += 1; return 'welcome'; });
  // An onFailure that answers a tick later and returns nothing: the route must still not run.
  app.post('/later', {
    preHandler: app.passgate.requireCaptcha({
      onFailure: (request, reply, outcome) => {
        setImmediate(() => reply.code(outcome.httpStatus).send({ later: outcome.code }));
      },
    }),
  }, async () => { ran.count += 1; return { done: true }; });
  // The exported requireCaptcha, without the decorator; the route says what it saw in a header (HEAD has no body).
  app.route({
    method: ALL_METHODS, url: '/any', preHandler: requireCaptcha({ verifier }),
    handler: async (request, reply) => {
      ran.count += 1;
      reply.header('x-seen', `${request.method} ${JSON.stringify(request.passgate)}`);
      return 'ran';
    },
  });
  await app.ready();
  try {
    await run(app, ran);
  } finally {
    await app.close();
  }
}

// A form post from a client that asks for JSON, so failures answer JSON.
const form = (url, fields, headers = {}) => ({
  method: 'POST', url,
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
  payload: new URLSearchParams(fields).toString(),
});
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const browserForm = (url, fields, headers = {}) => form(url, fields, { accept: BROWSER_ACCEPT, ...headers });

test('pass with a form body: the route runs with request.passgate; the IP is request.ip, not X-Forwarded-For', async () => {
  await emulator.script('pt_fastify_form', { action: 'login' });
  await withApp(emulator.options(), async (app, ran) => {
    const response = await app.inject({
      ...form('/login', { captchala_token: 'pt_fastify_form' }, { 'x-forwarded-for': '6.6.6.6' }), remoteAddress: '203.0.113.9',
    });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { done: true, code: 'passed', clientIp: '203.0.113.9' });
    assert.equal(ran.count, 1);
  });
});

test('trustProxy: request.ip (and so the IP passed on) comes from X-Forwarded-For set by the trusted proxy', async () => {
  await emulator.script('pt_fastify_proxy', { action: 'login' });
  await withApp(emulator.options(), async (app) => {
    const response = await app.inject({
      ...form('/login', { captchala_token: 'pt_fastify_proxy' }, { 'x-forwarded-for': '198.51.100.4' }), remoteAddress: '127.0.0.1',
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().clientIp, '198.51.100.4');
  }, { trustProxy: '127.0.0.1' });
});

test('a JSON body and a named header carry the token too', async () => {
  await emulator.script('pt_fastify_json', { action: 'login' });
  await withApp(emulator.options(), async (app, ran) => {
    let response = await app.inject({ method: 'POST', url: '/login', payload: { captchala_token: 'pt_fastify_json' } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().code, 'passed');
    response = await app.inject({ method: 'POST', url: '/header', headers: { 'x-captcha-token': 'pt_fastify_header' } });
    assert.equal(response.statusCode, 200);
    // Without `header`, a header is never read.
    response = await app.inject({ method: 'POST', url: '/plain', headers: { 'x-captcha-token': 'pt_fastify_plain', accept: 'application/json' } });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().error, 'missing_token');
    assert.equal(ran.count, 2);
  });
});

test('the plugin options are defaults for every requireCaptcha; a route option wins', async () => {
  await withApp(emulator.options(), async (app, ran) => {
    let response = await app.inject({ method: 'POST', url: '/plain', headers: { 'x-token': 'pt_fastify_default_header' } });
    assert.equal(response.statusCode, 200);
    response = await app.inject({ method: 'POST', url: '/header', headers: { 'x-token': 'pt_fastify_not_this_one', accept: 'application/json' } });
    assert.equal(response.statusCode, 400);
    assert.equal(ran.count, 1);
  }, { plugin: { header: 'x-token' } });
});

test('each failure class answers httpStatus with {error, message}; the route never runs', async () => {
  const table = [
    [null, null, 400, 'missing_token'],
    [null, 'sct_fastify', 400, 'malformed_token'],
    [{ action: 'pay' }, 'pt_fastify_pay', 400, 'action_mismatch'],
    [{ solved_at_offset_s: -900, action: 'login' }, 'pt_fastify_old', 400, 'expired'],
    [{ error: 'token_consumed' }, 'pt_fastify_used', 409, 'replayed'],
    [{ error: 'token_uid_mismatch' }, 'pt_fastify_uid', 403, 'uid_mismatch'],
    [{ error: 'token_ip_mismatch' }, 'pt_fastify_ip', 403, 'ip_mismatch'],
    [{ error: 'invalid_token' }, 'pt_fastify_invalid', 400, 'rejected'],
    [{ http_status: 429 }, 'pt_fastify_429', 429, 'rate_limited'],
    [{ error: 'invalid_app_key', error_in: 'envelope' }, 'pt_fastify_keys', 500, 'misconfigured'],
    [{ body: 'garbage' }, 'pt_fastify_garbage', 503, 'upstream_unavailable'],
    [null, 'dg_fastify', 503, 'degraded'],
    [null, 'client_fastify', 400, 'unverifiable'],
  ];
  await withApp(emulator.options(), async (app, ran) => {
    for (const [script, token, status, code] of table) {
      if (script) await emulator.script(token, script);
      const response = await app.inject(form('/login', token ? { captchala_token: token } : {}));
      assert.equal(response.statusCode, status, code);
      assert.match(response.headers['content-type'], /^application\/json/, code);
      const body = response.json();
      assert.equal(body.error, code);
      assert.ok(body.message);
    }
    assert.equal(ran.count, 0);
  });
});

test('upstream down: 503 upstream_unavailable and the route never ran', async () => {
  await withApp(emulator.options({ apiBase: 'http://127.0.0.1:1', backupApiBase: 'http://127.0.0.1:1', timeoutMs: 500 }), async (app, ran) => {
    const response = await app.inject(form('/login', { captchala_token: 'pt_fastify_down' }));
    assert.equal(response.statusCode, 503);
    assert.equal(response.json().error, 'upstream_unavailable');
    assert.equal(ran.count, 0);
  });
});

test('a token that is not a string (repeated form field, JSON array or object) is missing_token, with no upstream call', async () => {
  await emulator.script('pt_fastify_shape', { action: 'login' });
  const callsBefore = (await emulator.stats()).validate_calls;
  await withApp(emulator.options(), async (app, ran) => {
    for (const [type, payload] of [
      ['application/x-www-form-urlencoded', 'captchala_token=pt_fastify_shape&captchala_token=pt_fastify_shape'],
      ['application/json', '{"captchala_token": ["pt_fastify_shape"]}'],
      ['application/json', '{"captchala_token": {"a": 1}}'],
      ['application/json', '["pt_fastify_shape"]'],
    ]) {
      const response = await app.inject({ method: 'POST', url: '/login', headers: { 'content-type': type, accept: 'application/json' }, payload });
      assert.equal(response.statusCode, 400, payload);
      assert.equal(response.json().error, 'missing_token', payload);
    }
    assert.equal(ran.count, 0);
  });
  assert.equal((await emulator.stats()).validate_calls, callsBefore);
});

test('which failures answer JSON: a JSON body, X-Requested-With, an Accept that prefers JSON; else the HTML page', async () => {
  const cases = [
    ['form, browser Accept', browserForm('/login', {}), 'html'],
    ['form, no Accept', { ...form('/login', {}), headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 'html'],
    ['form, Accept: application/json', form('/login', {}), 'json'],
    ['form, Accept with JSON and HTML', browserForm('/login', {}, { accept: 'application/json, text/html;q=0.5' }), 'html'],
    ['form, X-Requested-With', browserForm('/login', {}, { 'x-requested-with': 'XMLHttpRequest' }), 'json'],
    ['JSON body, browser Accept', { method: 'POST', url: '/login', headers: { accept: BROWSER_ACCEPT }, payload: {} }, 'json'],
  ];
  await withApp(emulator.options(), async (app, ran) => {
    for (const [name, request, kind] of cases) {
      const response = await app.inject(request);
      assert.equal(response.statusCode, 400, name);
      if (kind === 'json') {
        assert.match(response.headers['content-type'], /^application\/json/, name);
        assert.deepEqual(response.json(), { error: 'missing_token', message: 'Please complete the captcha.' });
      } else {
        assert.match(response.headers['content-type'], /^text\/html; charset=utf-8/, name);
        assert.match(response.body, /^<!doctype html>/, name);
        assert.match(response.body, /<p role="alert">Please complete the captcha\.<\/p>/, name);
      }
    }
    assert.equal(ran.count, 0);
  });
});

test('the HTML page: in the request\'s language (by q), escaped, no script, with the status', async () => {
  await emulator.script('pt_fastify_html_rejected', { error: 'invalid_token' });
  await withApp(emulator.options(), async (app, ran) => {
    let response = await app.inject(browserForm('/login', { captchala_token: 'pt_fastify_html_rejected' },
      { 'accept-language': 'de;q=0.5, fr;q=0.9, *;q=1' }));
    assert.equal(response.statusCode, 400);
    const html = response.body;
    assert.match(html, /<html lang="fr">/);
    assert.match(html, /<p role="alert">Le captcha n&#39;a pas pu être vérifié\. Veuillez réessayer\.<\/p>/);
    assert.doesNotMatch(html, /javascript:|<script/);
    response = await app.inject(form('/login', {}, { 'accept-language': 'fr;q=0, ja' }));
    assert.equal(response.json().message, outcomeMessage('missing_token', 'ja'));
    response = await app.inject(form('/login', {}, { 'accept-language': 'fr;q=0' }));
    assert.equal(response.json().message, 'Please complete the captcha.');
    assert.equal(ran.count, 0);
  });
});

function outcomeMessage(code, lang) {
  const native = require('../native.js').loadNative();
  const message = native.messageFor(code, lang);
  assert.notEqual(message, native.messageFor(code, 'en'), `a ${lang} message exists`);
  return message;
}

test('onFailure answers instead, keeping the form data; one that sends later still keeps the route from running', async () => {
  await withApp(emulator.options(), async (app, ran) => {
    let response = await app.inject(browserForm('/signup', { email: 'ann@example.com', captchala_token: '' }));
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /value="ann@example.com"/);
    assert.match(response.body, /Please complete the captcha\./);
    response = await app.inject(browserForm('/later', {}));
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), { later: 'missing_token' });
    assert.equal(ran.count, 0);
    // A pass still reaches the route.
    response = await app.inject(browserForm('/signup', { captchala_token: 'pt_fastify_signup_ok' }));
    assert.equal(response.body, 'welcome');
    assert.equal(ran.count, 1);
  });
});

test('GET, HEAD, OPTIONS and TRACE pass through unverified (request.passgate null); every other method is verified', async () => {
  await withApp(emulator.options(), async (app, ran) => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'TRACE']) {
      const response = await app.inject({ method, url: '/any' });
      assert.equal(response.statusCode, 200, method);
      assert.equal(response.headers['x-seen'], `${method} null`);
    }
    assert.equal(ran.count, 4);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const response = await app.inject({ method, url: '/any', headers: { accept: 'application/json' } });
      assert.equal(response.statusCode, 400, method);
      assert.equal(response.json().error, 'missing_token', method);
    }
    assert.equal(ran.count, 4);
  });
});

test('the plugin is not encapsulated: fastify.passgate is on the instance it was registered on, and in later plugins', async () => {
  const app = Fastify();
  const verifier = new Verifier(emulator.options());
  // Without skip-override, register() would put the decorators in a child context of its own, out of app's sight.
  app.register(passgate, { verifier });
  const seen = {};
  await app.register(async (sibling) => {
    seen.sibling = sibling.passgate;
    sibling.get('/default', async (request) => ({ passgate: request.passgate, decorated: 'passgate' in request }));
  });
  await app.ready();
  try {
    assert.equal(app.passgate.verifier, verifier);
    assert.equal(typeof app.passgate.requireCaptcha, 'function');
    assert.equal(seen.sibling, app.passgate);
    assert.deepEqual((await app.inject({ method: 'GET', url: '/default' })).json(), { passgate: null, decorated: true });
    assert.equal(app.printPlugins().includes('passgate'), true);
  } finally {
    await app.close();
  }
});

test('a missing verifier is a TypeError at registration and at requireCaptcha', async () => {
  const app = Fastify();
  app.register(passgate, {});
  await assert.rejects(app.ready(), { name: 'TypeError', message: /passgate\/fastify: the plugin needs \{ verifier \}/ });
  assert.throws(() => requireCaptcha({}), { name: 'TypeError', message: /requireCaptcha needs \{ verifier \}/ });
  assert.throws(() => requireCaptcha({ verifier: new Verifier(emulator.options()), onFailure: 'page' }), TypeError);
});

test('a bug inside passgate (validate rejects) goes to Fastify\'s error handler; the route never runs', async () => {
  const app = Fastify();
  const broken = { formField: 'captchala_token', validate: async () => { throw new Error('boom inside passgate'); } };
  let ran = 0;
  app.setErrorHandler((err, request, reply) => reply.code(500).send({ handled: err.message, passgate: request.passgate }));
  app.post('/x', { preHandler: requireCaptcha({ verifier: broken }) }, async () => { ran += 1; return 'ran'; });
  try {
    const response = await app.inject({ method: 'POST', url: '/x', payload: { captchala_token: 'pt_x' } });
    assert.equal(response.statusCode, 500);
    assert.deepEqual(response.json(), { handled: 'boom inside passgate', passgate: null });
    assert.equal(ran, 0);
  } finally {
    await app.close();
  }
});

test('ESM: import passgate, { requireCaptcha } from passgate/fastify', async () => {
  const esm = await import('passgate/fastify');
  assert.equal(esm.default, passgate);
  assert.equal(esm.passgate, passgate);
  assert.equal(esm.requireCaptcha, requireCaptcha);
});
