'use strict';
// passgate/http: verifyRequest and failureAnswer on a real node:http server and on web Request
// objects (what a Next.js App Router route handler gets), against the emulator.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');

const { Verifier } = require('..');
const { verifyRequest, failureAnswer } = require('../http');
const { startEmulator } = require('./helpers');

let emulator;
before(async () => { emulator = await startEmulator(); });
after(async () => { await emulator.stop(); });

// A node:http server whose handler verifies with `options(req)` and answers with failureAnswer.
async function withServer(verifierOptions, options, run) {
  const verifier = new Verifier(verifierOptions);
  const ran = { count: 0 };
  const server = http.createServer(async (req, res) => {
    try {
      const outcome = await verifyRequest(req, { verifier, ...options(req) });
      if (!outcome.ok) {
        const answer = failureAnswer(req, outcome);
        res.writeHead(answer.status, answer.headers).end(answer.body);
        return;
      }
      ran.count += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        code: outcome.code, clientIp: outcome.logFields.client_ip, body: req.body, same: req.passgate === outcome,
      }));
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.name}: ${err.message}`);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${server.address().port}`, ran);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const form = (fields, headers = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
  body: new URLSearchParams(fields).toString(),
});

// Over node:http itself: a chunked body (no Content-Length), written in pieces.
function chunkedPost(url, headers, pieces) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('error', reject);
    for (const piece of pieces) request.write(piece);
    request.end();
  });
}

test('node:http, a form: passes, req.body holds the form, the IP is the socket\'s (X-Forwarded-For ignored), req.passgate set', async () => {
  await emulator.script('pt_http_form', { action: 'login' });
  await withServer(emulator.options(), () => ({ action: 'login' }), async (base, ran) => {
    const response = await fetch(`${base}/login`, form(
      { email: 'ann@example.com', captchala_token: 'pt_http_form' }, { 'x-forwarded-for': '6.6.6.6' }));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      code: 'passed', clientIp: '127.0.0.1', same: true, body: { email: 'ann@example.com', captchala_token: 'pt_http_form' },
    });
    assert.equal(ran.count, 1);
  });
});

test('node:http: JSON, multipart and a named header carry the token; clientIp given by the app is passed on', async () => {
  await withServer(emulator.options(), (req) => ({
    header: 'X-Captcha-Token',
    // The app's own proxy rule: here, trust the one proxy in front (the last X-Forwarded-For entry).
    clientIp: req.headers['x-forwarded-for'] ? req.headers['x-forwarded-for'].split(',').pop().trim() : undefined,
  }), async (base, ran) => {
    let response = await fetch(`${base}/`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ captchala_token: 'pt_http_json', n: 1 }),
    });
    assert.equal(response.status, 200);
    assert.deepEqual((await response.json()).body, { captchala_token: 'pt_http_json', n: 1 });
    const multipart = new FormData();
    multipart.append('captchala_token', 'pt_http_multipart');
    multipart.append('email', 'bob@example.com');
    response = await fetch(`${base}/`, { method: 'POST', body: multipart });
    assert.equal(response.status, 200);
    assert.deepEqual((await response.json()).body, { captchala_token: 'pt_http_multipart', email: 'bob@example.com' });
    response = await fetch(`${base}/`, { method: 'POST', headers: { 'x-captcha-token': 'pt_http_header', 'x-forwarded-for': '6.6.6.6, 198.51.100.7' } });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).clientIp, '198.51.100.7');
    assert.equal(ran.count, 3);
  });
});

test('node:http: failures answer httpStatus, JSON or the HTML page by the request\'s headers, in its language', async () => {
  await emulator.script('pt_http_used', { error: 'token_consumed' });
  await emulator.script('pt_http_rejected', { error: 'invalid_token' });
  await withServer(emulator.options(), () => ({ action: 'login' }), async (base, ran) => {
    let response = await fetch(`${base}/`, form({}));
    assert.equal(response.status, 400);
    assert.match(response.headers.get('content-type'), /^application\/json; charset=utf-8/);
    assert.deepEqual(await response.json(), { error: 'missing_token', message: 'Please complete the captcha.' });
    response = await fetch(`${base}/`, form({ captchala_token: 'pt_http_used' }, { 'x-requested-with': 'XMLHttpRequest', accept: 'text/html' }));
    assert.equal(response.status, 409);
    assert.equal((await response.json()).error, 'replayed');
    response = await fetch(`${base}/`, form({ captchala_token: 'pt_http_rejected' }, { accept: 'text/html,*/*;q=0.8', 'accept-language': 'fr' }));
    assert.equal(response.status, 400);
    assert.match(response.headers.get('content-type'), /^text\/html; charset=utf-8/);
    const html = await response.text();
    assert.match(html, /^<!doctype html><html lang="fr">/);
    assert.match(html, /<p role="alert">Le captcha n&#39;a pas pu être vérifié\. Veuillez réessayer\.<\/p>/);
    assert.equal(ran.count, 0);
  });
  await withServer(emulator.options({ apiBase: 'http://127.0.0.1:1', backupApiBase: 'http://127.0.0.1:1', timeoutMs: 500 }),
    () => ({}), async (base, ran) => {
      const response = await fetch(`${base}/`, form({ captchala_token: 'pt_http_down' }));
      assert.equal(response.status, 503);
      assert.equal((await response.json()).error, 'upstream_unavailable');
      assert.equal(ran.count, 0);
    });
});

test('node:http: a body over the limit (declared or chunked) is not read and holds no token: missing_token, no upstream call', async () => {
  await emulator.script('pt_http_big', {});
  const callsBefore = (await emulator.stats()).validate_calls;
  await withServer(emulator.options(), () => ({ limit: 64 }), async (base, ran) => {
    const big = `captchala_token=pt_http_big&filler=${'x'.repeat(4000)}`;
    let response = await fetch(`${base}/`, { ...form({}), body: big });
    assert.equal(response.status, 400);
    assert.equal((await response.json()).error, 'missing_token');
    const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    response = await chunkedPost(`${base}/`, headers, ['captchala_token=pt_http_big', `&filler=${'x'.repeat(2000)}`, 'y'.repeat(2000)]);
    assert.equal(response.status, 400);
    assert.equal(JSON.parse(response.body).error, 'missing_token');
    // Within the limit, chunked, the token is read.
    response = await chunkedPost(`${base}/`, headers, ['captchala_', 'token=pt_http_big']);
    assert.equal(response.status, 200, response.body);
    assert.equal(ran.count, 1);
  });
  assert.equal((await emulator.stats()).validate_calls, callsBefore + 1);
});

test('node:http: a body of another type is left unread for the app; a repeated field or unparsable JSON is no token', async () => {
  await emulator.script('pt_http_shape', {});
  const callsBefore = (await emulator.stats()).validate_calls;
  const verifier = new Verifier(emulator.options());
  const seen = [];
  const server = http.createServer(async (req, res) => {
    const outcome = await verifyRequest(req, { verifier });
    let rest = '';
    req.setEncoding('utf8');
    for await (const chunk of req) rest += chunk;
    seen.push({ code: outcome.code, rest, body: req.body === undefined ? 'unset' : { ...req.body } });
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    for (const [type, body] of [
      ['text/plain', 'captchala_token=pt_http_shape'],
      ['application/x-www-form-urlencoded', 'captchala_token=pt_http_shape&captchala_token=pt_http_shape'],
      ['application/json', '{"captchala_token": "pt_http_shape"'],
    ]) {
      await (await fetch(base, { method: 'POST', headers: { 'content-type': type }, body })).arrayBuffer();
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  assert.deepEqual(seen, [
    { code: 'missing_token', rest: 'captchala_token=pt_http_shape', body: 'unset' },
    { code: 'missing_token', rest: '', body: { captchala_token: ['pt_http_shape', 'pt_http_shape'] } },
    { code: 'missing_token', rest: '', body: {} },
  ]);
  assert.equal((await emulator.stats()).validate_calls, callsBefore);
});

test('node:http: a body parsed before (req.body, or options.body) is used; a stream read before without one is a TypeError', async () => {
  await withServer(emulator.options(), (req) => (req.url === '/given' ? { body: { captchala_token: 'pt_http_given' } } : {}),
    async (base, ran) => {
      let response = await fetch(`${base}/given`, { method: 'POST' });
      assert.equal(response.status, 200);
      assert.equal(ran.count, 1);
      response = await fetch(`${base}/`, form({}));
      assert.equal(response.status, 400);
    });
  const verifier = new Verifier(emulator.options());
  const results = [];
  const server = http.createServer(async (req, res) => {
    if (req.url === '/parsed') req.body = { captchala_token: 'pt_http_req_body' };
    else for await (const chunk of req) void chunk; // the app read the stream and kept nothing
    try {
      results.push((await verifyRequest(req, { verifier })).code);
    } catch (err) {
      results.push(`${err.name}: ${err.message}`);
    }
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    await (await fetch(`${base}/parsed`, form({}))).arrayBuffer();
    await (await fetch(`${base}/read`, form({ captchala_token: 'pt_http_lost' }))).arrayBuffer();
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  assert.deepEqual(results, ['passed', 'TypeError: passgate/http: the request body was already read; pass the parsed body as { body }']);
});

// A web Request, as a Next.js App Router route handler (`export async function POST(request)`) receives it.
const webForm = (fields, headers = {}) => new Request('http://localhost/login', {
  method: 'POST', headers, body: new URLSearchParams(fields),
});

test('web Request: a form passes; the IP is only what the app passes; the handler can still read the form', async () => {
  await emulator.script('pt_web_form', { action: 'login' });
  await emulator.script('pt_web_no_ip', {});
  const verifier = new Verifier(emulator.options());
  let request = webForm({ email: 'ann@example.com', captchala_token: 'pt_web_form' }, { 'x-forwarded-for': '6.6.6.6' });
  let outcome = await verifyRequest(request, { verifier, action: 'login', clientIp: '203.0.113.5' });
  assert.equal(outcome.code, 'passed');
  assert.equal(outcome.logFields.client_ip, '203.0.113.5');
  assert.equal((await request.formData()).get('email'), 'ann@example.com');
  request = webForm({ captchala_token: 'pt_web_no_ip' }, { 'x-forwarded-for': '6.6.6.6' });
  outcome = await verifyRequest(request, { verifier });
  assert.equal(outcome.code, 'passed');
  assert.equal(outcome.logFields.client_ip, null);
});

test('web Request: JSON, multipart, a header, another field; a FormData the app read first; a read body without one is a TypeError', async () => {
  const verifier = new Verifier(emulator.options());
  const codes = [];
  codes.push((await verifyRequest(new Request('http://localhost/', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ captchala_token: 'pt_web_json' }),
  }), { verifier })).code);
  const multipart = new FormData();
  multipart.append('captchala_token', 'pt_web_multipart');
  codes.push((await verifyRequest(new Request('http://localhost/', { method: 'POST', body: multipart }), { verifier })).code);
  codes.push((await verifyRequest(new Request('http://localhost/', { method: 'POST', headers: { 'x-captcha-token': 'pt_web_header' } }),
    { verifier, header: 'X-Captcha-Token' })).code);
  const request = webForm({ captchala_token: 'pt_web_read_first' });
  const formData = await request.formData();
  codes.push((await verifyRequest(request, { verifier, body: formData })).code);
  await assert.rejects(verifyRequest(request, { verifier }), { name: 'TypeError', message: /already read; pass the parsed body/ });
  codes.push((await verifyRequest(webForm({ captchala_token: 'sct_not_this_field', mine: 'pt_web_field' }), { verifier, field: 'mine' })).code);
  assert.deepEqual(codes, ['passed', 'passed', 'passed', 'passed', 'passed']);
});

test('web Request: a repeated field, a body over the limit or unparsable JSON hold no token; the app can still read the body', async () => {
  await emulator.script('pt_web_shape', {});
  const callsBefore = (await emulator.stats()).validate_calls;
  const verifier = new Verifier(emulator.options());
  const repeated = new URLSearchParams([['captchala_token', 'pt_web_shape'], ['captchala_token', 'pt_web_shape']]);
  let request = new Request('http://localhost/', { method: 'POST', body: repeated });
  assert.equal((await verifyRequest(request, { verifier })).code, 'missing_token');
  const big = `captchala_token=pt_web_shape&filler=${'x'.repeat(5000)}`;
  request = new Request('http://localhost/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: big });
  assert.equal((await verifyRequest(request, { verifier, limit: 100 })).code, 'missing_token');
  assert.equal((await request.text()).length, big.length);
  request = new Request('http://localhost/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"captchala_token": ' });
  assert.equal((await verifyRequest(request, { verifier })).code, 'missing_token');
  assert.equal((await emulator.stats()).validate_calls, callsBefore);
});

test('failureAnswer makes a web Response: JSON for API clients, the HTML page for browsers; a passed outcome is refused', async () => {
  await emulator.script('pt_web_used', { error: 'token_consumed' });
  const verifier = new Verifier(emulator.options());
  let request = webForm({ captchala_token: 'pt_web_used' }, { accept: 'application/json' });
  let outcome = await verifyRequest(request, { verifier });
  let answer = failureAnswer(request, outcome);
  let response = new Response(answer.body, answer);
  assert.equal(response.status, 409);
  assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.deepEqual(await response.json(), { error: 'replayed', message: outcome.message });
  request = webForm({}, { accept: 'text/html', 'accept-language': 'ja' });
  outcome = await verifyRequest(request, { verifier });
  answer = failureAnswer(request, outcome);
  response = new Response(answer.body, answer);
  assert.equal(response.status, 400);
  assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
  const html = await response.text();
  assert.match(html, /<html lang="ja">/);
  assert.ok(html.includes(outcome.messageFor('ja')));
  assert.notEqual(outcome.messageFor('ja'), outcome.message);
  const passed = await verifyRequest(webForm({ captchala_token: 'pt_web_passed' }), { verifier });
  assert.equal(passed.ok, true);
  assert.throws(() => failureAnswer(request, passed), { name: 'TypeError', message: /needs a failed Outcome/ });
});

test('bad arguments are TypeErrors', async () => {
  const verifier = new Verifier(emulator.options());
  await assert.rejects(verifyRequest(webForm({}), {}), { name: 'TypeError', message: /needs \{ verifier \}/ });
  await assert.rejects(verifyRequest({ url: '/' }, { verifier }), { name: 'TypeError', message: /IncomingMessage or a web Request/ });
  await assert.rejects(verifyRequest(webForm({}), { verifier, limit: '1mb' }), { name: 'TypeError', message: /limit/ });
});

test('ESM: import { verifyRequest, failureAnswer } from passgate/http', async () => {
  const esm = await import('passgate/http');
  assert.equal(esm.verifyRequest, verifyRequest);
  assert.equal(esm.failureAnswer, failureAnswer);
});
