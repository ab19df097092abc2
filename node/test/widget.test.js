'use strict';
// The page half: Verifier#widget() and #csp(), and passgate/express's widgetLocals
// and cspDirectives behind helmet on a real Express app listening on port 0.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const express = require('express');
const helmet = require('helmet');

const { Verifier, PassgateError } = require('..');
const { widgetLocals, cspDirectives } = require('../express');
const { startEmulator } = require('./helpers');

// Secrets are distinctive so that finding them anywhere in the output is a leak.
const PROVIDERS = {
  turnstile: {
    options: { provider: 'turnstile', siteKey: 'ts-site-key-123', secretKey: 'TS-SECRET-must-not-leak' },
    publicKey: 'ts-site-key-123',
    secret: 'TS-SECRET-must-not-leak',
    field: 'cf-turnstile-response',
    csp: {
      'script-src': ['https://challenges.cloudflare.com'],
      'frame-src': ['https://challenges.cloudflare.com'],
    },
  },
  hcaptcha: {
    options: { provider: 'hcaptcha', siteKey: 'hc-site-key-123', secretKey: 'HC-SECRET-must-not-leak' },
    publicKey: 'hc-site-key-123',
    secret: 'HC-SECRET-must-not-leak',
    field: 'h-captcha-response',
    csp: {
      'script-src': ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
      'frame-src': ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
      'style-src': ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
      'connect-src': ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
    },
  },
  recaptcha: {
    options: { provider: 'recaptcha', siteKey: 'rc-site-key-123', secretKey: 'RC-SECRET-must-not-leak' },
    publicKey: 'rc-site-key-123',
    secret: 'RC-SECRET-must-not-leak',
    field: 'g-recaptcha-response',
    csp: {
      'script-src': ['https://www.google.com/recaptcha/', 'https://www.gstatic.com/recaptcha/'],
      'frame-src': ['https://www.google.com/recaptcha/', 'https://recaptcha.google.com/recaptcha/'],
      'img-src': ['https://www.gstatic.com/recaptcha/'],
      'connect-src': ['https://www.google.com/recaptcha/'],
    },
  },
  captchala: {
    options: { appKey: 'cl-app-key-123', appSecret: 'CL-SECRET-must-not-leak' },
    publicKey: 'cl-app-key-123',
    secret: 'CL-SECRET-must-not-leak',
    field: 'captchala_token',
    csp: {
      'script-src': ['https://cdn.captcha-cdn.net'],
      'style-src': ['https://cdn.captcha-cdn.net'],
      'img-src': ['https://cdn.captcha-cdn.net'],
      'connect-src': ['https://apiv1.captcha.la', 'https://fallbackapiv1.captchala.com'],
    },
  },
};
const NAMES = Object.keys(PROVIDERS);
const SITEVERIFY = ['turnstile', 'hcaptcha', 'recaptcha'];

const verifierFor = (name, extra = {}) => new Verifier({ ...PROVIDERS[name].options, environment: 'test', ...extra });

// The widget HTML's pieces, read the way a browser would find them.
function inlineScript(html) {
  const scripts = [...html.matchAll(/<script( nonce="([^"]*)")?>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1, `one inline script in ${html.slice(0, 200)}`);
  return { nonce: scripts[0][2], text: scripts[0][3] };
}
const sha256Source = (text) => `'sha256-${crypto.createHash('sha256').update(text, 'utf8').digest('base64')}'`;
function attr(html, name) {
  const found = [...html.matchAll(new RegExp(` ${name}="([^"]*)"`, 'g'))].map((m) => m[1]);
  assert.ok(found.length <= 1, `${name} appears ${found.length} times`);
  return found[0];
}
const hashSources = (sources) => sources.filter((s) => s.startsWith("'sha256-"));
const hostSources = (sources) => sources.filter((s) => !s.startsWith("'"));

// CSP source matching, enough for host sources: scheme and host (with *.), a path ending in / as a prefix.
function allows(source, url) {
  const target = new URL(url);
  const m = /^(https?):\/\/(\*\.)?([^/:]+)(:\d+)?(\/.*)?$/.exec(source);
  if (!m) return false;
  const [, scheme, wildcard, host, port, path] = m;
  if (`${scheme}:` !== target.protocol) return false;
  if (wildcard ? !target.hostname.endsWith(`.${host}`) : target.hostname !== host) return false;
  if ((port ? port.slice(1) : '') !== target.port) return false;
  if (!path || path === '/') return true;
  return path.endsWith('/') ? target.pathname.startsWith(path) : target.pathname === path;
}

function assertConfigError(fn, named) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof PassgateError, `a PassgateError, not ${err && err.name}`);
    assert.equal(err.code, 'PASSGATE_CONFIG');
    assert.match(err.message, named);
    return true;
  });
}

// --- widget() ---------------------------------------------------------------

for (const name of NAMES) {
  const spec = PROVIDERS[name];
  test(`${name}: widget() carries the public key, action and nonce, never the secret`, () => {
    const verifier = verifierFor(name);
    const nonce = 'rAnd0m+Nonce/Value==';
    const html = verifier.widget({ action: 'comment', nonce, lang: 'en' });
    assert.equal(attr(html, 'data-passgate-provider'), name);
    assert.equal(attr(html, 'data-sitekey'), spec.publicKey);
    assert.equal(attr(html, 'data-action'), 'comment');
    assert.equal(attr(html, 'data-passgate-field'), verifier.formField);
    assert.equal(verifier.formField, spec.field);
    assert.equal(inlineScript(html).nonce, nonce);
    assert.ok(!html.includes(spec.secret), 'the secret is in the widget HTML');
    assert.ok(!JSON.stringify(verifier.csp()).includes(spec.secret), 'the secret is in csp()');
    // CaptchaLa's loader does not post a field of its own: the widget carries the hidden input.
    const hidden = html.match(/<input type="hidden" name="([^"]*)" value="">/g) || [];
    assert.deepEqual(hidden, name === 'captchala' ? [`<input type="hidden" name="${spec.field}" value="">`] : []);
    // The load-failure hint is there, hidden until the bootstrap shows it.
    assert.match(html, /<p class="passgate-widget-error" role="alert" hidden>[^<]+<\/p>/);
  });

  test(`${name}: each widget() call gets its own container id`, () => {
    const verifier = verifierFor(name);
    const ids = [verifier.widget({ action: 'a' }), verifier.widget({ action: 'a' }), verifierFor(name).widget()]
      .map((html) => attr(html, 'id'));
    for (const id of ids) assert.match(id, /^passgate-[A-Za-z0-9_-]+$/);
    assert.equal(new Set(ids).size, ids.length, `ids repeat: ${ids}`);
  });
}

test('without a nonce the bootstrap script has no nonce attribute; lang picks the hint language', () => {
  const verifier = verifierFor('turnstile');
  const html = verifier.widget({ action: 'login' });
  assert.match(html, /<\/div><script>\(function/);
  assert.equal(inlineScript(html).nonce, undefined);
  const hint = (lang) => /role="alert" hidden>([^<]*)</.exec(verifier.widget({ lang }))[1];
  assert.notEqual(hint('ja'), hint('en'));
  assert.equal(hint('xx'), hint('en'));
});

test('Turnstile cdata and a CaptchaLa server token reach their own attributes', () => {
  const turnstile = verifierFor('turnstile').widget({ action: 'login', cdata: 'session_42' });
  assert.equal(attr(turnstile, 'data-cdata'), 'session_42');
  const captchala = verifierFor('captchala').widget({ action: 'login', serverToken: 'sct_abc-123' });
  assert.equal(attr(captchala, 'data-server-token'), 'sct_abc-123');
});

test('a configured site key is HTML-escaped in the attribute; one with a space is refused', () => {
  const html = verifierFor('hcaptcha', { siteKey: 'k"><img/src=x>' }).widget();
  assert.ok(!html.includes('"><img'), html.slice(0, 300));
  assert.equal(attr(html, 'data-sitekey'), 'k&quot;&gt;&lt;img/src=x&gt;');
  assertConfigError(() => verifierFor('hcaptcha', { siteKey: 'k y' }), /\bsite_key\b/);
});

test('bad widget arguments throw PASSGATE_CONFIG naming the argument', () => {
  const turnstile = verifierFor('turnstile');
  const hcaptcha = verifierFor('hcaptcha');
  assertConfigError(() => turnstile.widget({ action: '"><script>alert(1)</script>' }), /\baction\b/);
  assertConfigError(() => turnstile.widget({ action: 'a'.repeat(33) }), /\baction\b/);
  assert.equal(attr(turnstile.widget({ action: 'a'.repeat(32) }), 'data-action'), 'a'.repeat(32));
  assertConfigError(() => turnstile.widget({ nonce: 'abc"def' }), /\bnonce\b/);
  assertConfigError(() => turnstile.widget({ nonce: 'abc def' }), /\bnonce\b/);
  assertConfigError(() => turnstile.widget({ cdata: 'a"><b' }), /\bcdata\b/);
  assertConfigError(() => hcaptcha.widget({ cdata: 'session_42' }), /\bcdata\b/);
  assertConfigError(() => turnstile.widget({ serverToken: 'sct_abc' }), /\bserver_token\b/);
  assertConfigError(() => verifierFor('captchala').widget({ serverToken: 'sct_"><b' }), /\bserver_token\b/);
  assertConfigError(() => turnstile.widget({ colour: 'red' }), /\bcolour\b/);
  assertConfigError(() => turnstile.widget({ action: 5 }), /\baction\b/);
  assertConfigError(() => turnstile.widget({ nonce: ['abc'] }), /\bnonce\b/);
  assertConfigError(() => turnstile.widget({ lang: true }), /\blang\b/);
  assertConfigError(() => turnstile.widget('login'), /\bwidget\b/);
});

for (const name of SITEVERIFY) {
  test(`${name} without siteKey: widget() throws PASSGATE_CONFIG naming site_key`, () => {
    const { siteKey, ...options } = PROVIDERS[name].options;
    void siteKey;
    const verifier = new Verifier({ ...options, environment: 'test' });
    assertConfigError(() => verifier.widget({ action: 'login' }), /\bsite_key\b/);
  });
}

// --- csp() --------------------------------------------------------------------

test('the bootstrap hash in csp() is sha256 of the inline script as the widget HTML carries it', () => {
  const hashes = new Set();
  for (const name of NAMES) {
    const verifier = verifierFor(name);
    const { text } = inlineScript(verifier.widget({ action: 'login', nonce: 'n0nce' }));
    assert.ok(text.length > 100, 'the bootstrap script has a body');
    const expected = sha256Source(text);
    assert.deepEqual(hashSources(verifier.csp()['script-src']), [expected], name);
    // The text does not depend on the arguments: one hash serves every widget.
    const other = inlineScript(verifier.widget({ lang: 'de' })).text;
    assert.equal(sha256Source(other), expected);
    hashes.add(expected);
  }
  assert.equal(hashes.size, 1, 'one bootstrap for every provider');
});

for (const name of NAMES) {
  test(`${name}: csp() lists the provider's sources per directive, and they allow its loader`, () => {
    const verifier = verifierFor(name);
    const csp = verifier.csp();
    const hosts = Object.fromEntries(Object.entries(csp).map(([directive, sources]) => [directive, hostSources(sources)]));
    assert.deepEqual(hosts, PROVIDERS[name].csp);
    for (const [directive, sources] of Object.entries(csp)) {
      if (directive !== 'script-src') assert.deepEqual(hashSources(sources), [], directive);
      assert.ok(!sources.some((s) => /unsafe/.test(s)), `${directive}: ${sources}`);
    }
    const loader = attr(verifier.widget(), 'data-passgate-loader');
    assert.ok(csp['script-src'].some((source) => allows(source, loader)), `script-src ${csp['script-src']} refuses ${loader}`);
  });
}

test('scriptUrl: every directive lists that URL\'s origin next to the provider\'s hosts', () => {
  for (const name of NAMES) {
    const scriptUrl = `http://127.0.0.1:9/__mock/loader/${name}.js`;
    const verifier = verifierFor(name, { scriptUrl });
    const csp = verifier.csp();
    assert.ok(csp['frame-src'], `${name}: frame-src added`);
    assert.deepEqual(Object.keys(csp).sort(), [...new Set([...Object.keys(PROVIDERS[name].csp), 'frame-src'])].sort(), name);
    for (const [directive, sources] of Object.entries(csp)) {
      const own = PROVIDERS[name].csp[directive] || [];
      assert.deepEqual(hostSources(sources), [...own, 'http://127.0.0.1:9'], `${name} ${directive}`);
    }
    const loader = attr(verifier.widget({ action: 'login' }), 'data-passgate-loader');
    assert.ok(loader === scriptUrl || loader.startsWith(`${scriptUrl}?`), `${name}: loader ${loader}`);
    assert.ok(allows('http://127.0.0.1:9', loader));
  }
});

test('scriptUrl over plain http is refused in production, naming script_url', () => {
  assert.throws(
    () => new Verifier({ ...PROVIDERS.turnstile.options, scriptUrl: 'http://127.0.0.1:9/__mock/loader/turnstile.js' }),
    (err) => err instanceof PassgateError && err.code === 'PASSGATE_CONFIG' && /\bscript_url\b/.test(err.message),
  );
});

test('scriptUrl at passgate mock\'s stand-in loader: served, and allowed by the CSP', async (t) => {
  const emulator = await startEmulator();
  t.after(() => emulator.stop());
  for (const name of NAMES) {
    const scriptUrl = `${emulator.url}/__mock/loader/${name}.js`;
    const verifier = verifierFor(name, { scriptUrl });
    const loader = attr(verifier.widget(), 'data-passgate-loader');
    const response = await fetch(loader);
    assert.equal(response.status, 200, loader);
    assert.match(response.headers.get('content-type'), /javascript/);
    assert.ok((await response.text()).length > 0);
    assert.deepEqual(hostSources(verifier.csp()['script-src']), [...PROVIDERS[name].csp['script-src'], new URL(emulator.url).origin]);
  }
});

// --- widgetLocals + cspDirectives behind helmet --------------------------------

function parseCsp(header) {
  const directives = new Map();
  for (const part of header.split(';')) {
    const [directive, ...sources] = part.trim().split(/\s+/);
    if (!directive) continue;
    assert.ok(!directives.has(directive), `${directive} twice in ${header}`);
    directives.set(directive, sources);
  }
  return directives;
}

// A page with two widgets, helmet's CSP from cspDirectives and a fresh nonce per request.
async function withPage(verifier, { directives, useDefaults = false, locals = {} } = {}, run) {
  const app = express();
  app.use((req, res, next) => {
    res.locals.cspNonce = crypto.randomBytes(16).toString('base64');
    next();
  });
  app.use(helmet({ contentSecurityPolicy: { useDefaults, directives: cspDirectives(verifier, directives) } }));
  app.use(widgetLocals({ verifier, ...locals }));
  app.get('/', (req, res) => res.send(`<!doctype html><html><body><form method="post">
${res.locals.passgateWidget({ action: 'comment' })}
${res.locals.passgateWidget({ action: 'reply' })}
</form></body></html>`));
  const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  try {
    await run(async () => {
      const response = await fetch(`http://127.0.0.1:${server.address().port}/`);
      assert.equal(response.status, 200);
      const header = response.headers.get('content-security-policy');
      assert.ok(header, 'a Content-Security-Policy header');
      return { header, csp: parseCsp(header), body: await response.text() };
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const firstScript = (body) => {
  const m = /<script nonce="[^"]*">([\s\S]*?)<\/script>/.exec(body);
  assert.ok(m, 'an inline script in the page');
  return { text: m[1] };
};
const scriptNonces = (body) => [...body.matchAll(/<script nonce="([^"]*)">/g)].map((m) => m[1]);

const STRICT = { defaultSrc: ["'self'"], scriptSrc: [], objectSrc: ["'none'"], baseUri: ["'none'"] };

for (const name of NAMES) {
  test(`${name} page: the CSP header names the body's script nonce, the bootstrap hash and the provider's sources`, async () => {
    const verifier = verifierFor(name);
    await withPage(verifier, { directives: STRICT }, async (get) => {
      const first = await get();
      const nonces = scriptNonces(first.body);
      assert.equal(nonces.length, 2, 'both widgets carry a nonce');
      assert.equal(nonces[0], nonces[1]);
      assert.ok(nonces[0].length >= 16);
      const scriptSrc = first.csp.get('script-src');
      assert.ok(scriptSrc.includes(`'nonce-${nonces[0]}'`), `${first.header} lacks the body's nonce ${nonces[0]}`);
      assert.equal(scriptSrc.filter((s) => s.startsWith("'nonce-")).length, 1);
      const ids = [...first.body.matchAll(/ id="(passgate-[^"]+)"/g)].map((m) => m[1]);
      assert.equal(new Set(ids).size, 2, 'two distinct container ids on one page');

      const { text } = firstScript(first.body);
      assert.ok(scriptSrc.includes(sha256Source(text)), `${first.header} lacks the bootstrap hash`);
      for (const [directive, hosts] of Object.entries(PROVIDERS[name].csp)) {
        const sources = first.csp.get(directive) || [];
        for (const host of hosts) assert.ok(sources.includes(host), `${directive} lacks ${host}: ${first.header}`);
      }
      assert.ok(!first.header.includes('unsafe-inline'), first.header);
      assert.ok(!first.header.includes(PROVIDERS[name].secret));

      // The nonce is the request's, not one fixed when the app started.
      const second = await get();
      const again = scriptNonces(second.body)[0];
      assert.notEqual(again, nonces[0]);
      assert.ok(second.csp.get('script-src').includes(`'nonce-${again}'`), second.header);
      assert.ok(!second.csp.get('script-src').includes(`'nonce-${nonces[0]}'`));
    });
  });
}

test('cspDirectives: camelCase base directives are accepted, and their own sources kept', async () => {
  const verifier = verifierFor('hcaptcha');
  const directives = {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'", 'https://cdn.example.com'],
    connectSrc: ['https://api.example.com'],
    imgSrc: ["'self'", 'data:'],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    'form-action': ["'self'"],
  };
  await withPage(verifier, { directives }, async (get) => {
    const { header, csp, body } = await get();
    for (const directive of csp.keys()) assert.match(directive, /^[a-z-]+$/, `a directive named ${directive}`);
    assert.deepEqual(csp.get('default-src'), ["'self'"]);
    assert.deepEqual(csp.get('object-src'), ["'none'"]);
    assert.deepEqual(csp.get('base-uri'), ["'none'"]);
    assert.deepEqual(csp.get('form-action'), ["'self'"]);
    const scriptSrc = csp.get('script-src');
    assert.deepEqual(scriptSrc.slice(0, 2), ["'self'", 'https://cdn.example.com']);
    assert.equal(scriptSrc.filter((s) => s === "'self'").length, 1);
    assert.ok(scriptSrc.includes(`'nonce-${scriptNonces(body)[0]}'`));
    assert.deepEqual(csp.get('connect-src'), ['https://api.example.com', 'https://hcaptcha.com', 'https://*.hcaptcha.com']);
    assert.deepEqual(csp.get('img-src'), ["'self'", 'data:']);
    assert.deepEqual(csp.get('frame-src'), ["'self'", 'https://hcaptcha.com', 'https://*.hcaptcha.com']);
    assert.ok(!header.includes('unsafe-inline'), header);
  });
  // The caller's object is left alone.
  assert.deepEqual(directives.scriptSrc, ["'self'", 'https://cdn.example.com']);
});

test('cspDirectives with helmet\'s defaults: one script-src, with the nonce and the hash', async () => {
  const verifier = verifierFor('turnstile');
  await withPage(verifier, { useDefaults: true }, async (get) => {
    const { header, csp, body } = await get();
    const scriptSrc = csp.get('script-src');
    assert.ok(scriptSrc.includes(`'nonce-${scriptNonces(body)[0]}'`), header);
    assert.ok(scriptSrc.includes(sha256Source(firstScript(body).text)), header);
    assert.ok(scriptSrc.includes('https://challenges.cloudflare.com'));
    assert.ok(!scriptSrc.includes("'unsafe-inline'"), header);
    assert.ok(csp.get('frame-src').includes('https://challenges.cloudflare.com'));
    assert.deepEqual(csp.get('object-src'), ["'none'"], 'helmet\'s own defaults stay');
  });
});

test('widgetLocals: a nonce option replaces res.locals.cspNonce; a verifier is required', async () => {
  const verifier = verifierFor('captchala');
  const seen = [];
  const locals = { nonce: (req, res) => { const n = `own${seen.length}Nonce`; seen.push(n); return n; } };
  await withPage(verifier, { directives: STRICT, locals }, async (get) => {
    const { body } = await get();
    assert.deepEqual(scriptNonces(body), seen);
    assert.equal(seen.length, 2);
  });
  assert.throws(() => widgetLocals({}), TypeError);
  assert.throws(() => widgetLocals(), TypeError);
});

test('widgetLocals: a bad argument from a template throws PASSGATE_CONFIG', () => {
  const res = { locals: { cspNonce: 'abc123' } };
  let called = false;
  widgetLocals({ verifier: verifierFor('turnstile') })({}, res, () => { called = true; });
  assert.ok(called);
  assert.equal(inlineScript(res.locals.passgateWidget({ action: 'ok' })).nonce, 'abc123');
  assertConfigError(() => res.locals.passgateWidget({ action: 'not ok' }), /\baction\b/);
});

test('cspDirectives: string sources stay whole, null drops a directive, missing directives start from default-src', () => {
  const verifier = new Verifier({ provider: 'captchala', appKey: 'k', appSecret: 's', environment: 'test' });
  const merged = cspDirectives(verifier, {
    defaultSrc: "'self' https://api.example.com".split(' '), imgSrc: "'self'", frameAncestors: null,
  });
  assert.deepEqual(merged['img-src'].slice(0, 2), ["'self'", 'https://cdn.captcha-cdn.net']);
  assert.equal(merged['frame-ancestors'], null);
  // connect-src was not given: it starts from default-src, so the app's API stays allowed.
  assert.deepEqual(merged['connect-src'].slice(0, 2), ["'self'", 'https://api.example.com']);
  const none = cspDirectives(verifier, { defaultSrc: ["'none'"] });
  assert.ok(!none['style-src'].includes("'none'"), "'none' is not kept next to real sources");
  // No nonce in res.locals: no 'nonce-undefined'.
  const nonceSource = merged['script-src'].find((s) => typeof s === 'function');
  assert.equal(nonceSource({}, { locals: {} }), '');
  assert.equal(nonceSource({}, { locals: { cspNonce: 'abc' } }), "'nonce-abc'");
});

test('widgetLocals: an explicit nonce: undefined keeps the request nonce', () => {
  const verifier = new Verifier({ provider: 'turnstile', secretKey: 's', siteKey: 'k', environment: 'test' });
  const res = { locals: { cspNonce: 'cmVxdWVzdA==' } };
  widgetLocals({ verifier })({}, res, () => {});
  assert.match(res.locals.passgateWidget({ action: 'login', nonce: undefined }), /<script nonce="cmVxdWVzdA==">/);
});
