// Node rows of `make bench`: passgate, the plain patterns (fetch/undici with
// keep-alive, https.request with a new connection per call) and the peers.
// Prints one JSON line per row: {row, calls, seconds: [...], cpu_s: [...], connections}.
//
// Usage: node node_bench.js CONFIG_JSON GROUP   (GROUP: passgate | plain | peers)
'use strict';
const path = require('node:path');
const https = require('node:https');
const http = require('node:http');
const fs = require('node:fs');

const config = JSON.parse(process.argv[2]);
const group = process.argv[3];
const { base, ca, secret, calls, rounds } = config;
const url = `${base}/recaptcha/api/siteverify`;
const root = path.resolve(__dirname, '..', '..');

function cpuSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function accepts() {
  return new Promise((resolve, reject) => {
    http.get(config.status_url, (res) => {
      let text = '';
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve(Number(text.split('\n')[2].trim().split(/\s+/)[0])));
    }).on('error', reject);
  });
}

function token(row, round, i) {
  // Unique per call: the replay guard must not short-cut anything.
  return `bench-${row.replace(/ /g, '-')}-${round}-${String(i).padStart(8, '0')}-0123456789abcdefghijklmnopqrstuvwxyz`;
}

/** `work(token)` `count` times with `inFlight` concurrent loops, `rounds` times. */
async function timed(name, inFlight, work, count = calls) {
  const perLoop = Math.floor(count / inFlight);
  const seconds = [];
  const cpu = [];
  const before = await accepts();
  for (let round = 0; round < rounds; round++) {
    let failures = 0;
    const cpuBefore = cpuSeconds();
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: inFlight }, async (_, loop) => {
      for (let i = 0; i < perLoop; i++) {
        if (!(await work(token(name, round, loop * perLoop + i)))) failures++;
      }
    }));
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    cpu.push(cpuSeconds() - cpuBefore);
    if (failures) throw new Error(`${name}: ${failures} validations did not pass`);
  }
  const connections = (await accepts()) - before - 1;
  console.log(JSON.stringify({ row: name, calls: perLoop * inFlight, seconds, cpu_s: cpu, connections }));
}

async function passgateRows() {
  const { Verifier } = require(path.join(root, 'node'));
  const verifier = new Verifier({ provider: 'recaptcha', secretKey: secret, apiBase: base, caFile: ca, environment: 'production' });
  const work = async (tok) => (await verifier.validate(tok, { clientIp: '127.0.0.1' })).ok;
  await work(token('warm-up', 0, 0));
  for (const inFlight of config.in_flight) await timed(`node passgate ${inFlight}`, inFlight, work);
}

function form(tok) {
  return new URLSearchParams({ secret, response: tok, remoteip: '127.0.0.1' }).toString();
}

async function plainRows() {
  // fetch is undici with its keep-alive pool: the best plain pattern.
  const withFetch = async (tok) => {
    const res = await fetch(url, {
      method: 'POST', body: form(tok), headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    return (await res.json()).success === true;
  };
  const caPem = fs.readFileSync(ca);
  // https.request without an agent: a new connection (and TLS handshake) per call.
  const perCall = (tok) => new Promise((resolve) => {
    const body = form(tok);
    const req = https.request(url, {
      method: 'POST', agent: false, ca: caPem,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve(JSON.parse(text).success === true));
    });
    req.on('error', () => resolve(false));
    req.end(body);
  });
  await withFetch(token('warm-up', 0, 1));
  await timed('node fetch 1', 1, withFetch);
  await timed('node fetch 64', 64, withFetch);
  await timed('node https.request per call 1', 1, perCall, Math.max(Math.floor(calls / 10), 50));
}

async function peerRows() {
  const modules = path.join(__dirname, '..', 'node', 'node_modules');
  const turnstile = require(path.join(modules, 'cf-turnstile'));
  const check = turnstile(secret, { apiUrl: `${base}/turnstile/v0/siteverify` });
  const work = async (tok) => (await check(tok, { remoteip: '127.0.0.1' })).success === true;
  await work(token('warm-up', 0, 2));
  await timed('node peer cf-turnstile 1', 1, work, Math.max(Math.floor(calls / 2), 50));
}

({ passgate: passgateRows, plain: plainRows, peers: peerRows })[group]().catch((error) => {
  console.error(error);
  process.exit(1);
});
