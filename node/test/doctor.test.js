'use strict';
// doctor(): the core's deployment checks from Node, against the emulator; and
// `npx passgate doctor [--json]` (bin/passgate.js) as a subprocess.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const { doctor, DoctorReport, PassgateError } = require('..');
const { startEmulator } = require('./helpers');

const BIN = path.join(__dirname, '..', 'bin', 'passgate.js');
const SECRET = 'doctor-secret-never-shown';
const CHECKS = ['configuration', 'connection', 'keys', 'clock', 'replay_store'];
let emulator;

before(async () => { emulator = await startEmulator(); });
after(async () => { await emulator.stop(); });

const check = (report, name) => report.checks.find((c) => c.name === name);
const detail = (report, name) => check(report, 'configuration').details.find((d) => d.name === name).value;

/** Set environment variables for one call, then put the old values back. */
async function withEnv(vars, work) {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return await work();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]; else process.env[name] = value;
    }
  }
}

/** `node bin/passgate.js ...args` with exactly `env` (and PATH). */
function cli(args, env) {
  return spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
}

function captchalaEnv(secret) {
  return {
    CAPTCHALA_APP_KEY: 'test-app-key',
    CAPTCHALA_APP_SECRET: secret,
    PASSGATE_API_BASE: emulator.url,
    PASSGATE_ENVIRONMENT: 'development',
  };
}

test('a healthy set-up against the emulator: every check passes, the text lists them', async () => {
  const report = await doctor(emulator.options({ environment: 'development' }));
  assert.ok(report instanceof DoctorReport);
  assert.equal(report.ok, true, report.text);
  assert.deepEqual(report.checks.map((c) => c.name), CHECKS);
  for (const c of report.checks) assert.equal(c.status, 'pass', `${c.name}: ${c.summary}`);
  for (const name of CHECKS) assert.match(report.text, new RegExp(`✓ ${name}`));
  assert.match(report.text, /0 failed/);
  assert.equal(String(report), report.text);
  assert.deepEqual(JSON.parse(JSON.stringify(report)), { ok: true, checks: JSON.parse(JSON.stringify(report.checks)) });
  assert.ok(Object.isFrozen(report) && Object.isFrozen(report.checks[0]));
});

test('a wrong secret fails the keys check, and the secret is never shown', async () => {
  const report = await doctor(emulator.options({ appSecret: SECRET, environment: 'development' }));
  assert.equal(report.ok, false);
  const keys = check(report, 'keys');
  assert.equal(keys.status, 'fail', keys.summary);
  assert.match(keys.summary, /invalid_app_secret/);
  assert.match(keys.advice, /app_secret/);
  assert.equal(detail(report, 'app_secret'), '******** (set)  [argument]');
  for (const shown of [report.text, JSON.stringify(report)]) {
    for (const hidden of [SECRET, 'passgate-doctor-probe']) assert.ok(!shown.includes(hidden), `${hidden} shown:\n${shown}`);
  }
});

test('each setting says where it came from: argument or environment', async () => {
  const report = await withEnv({ PASSGATE_TIMEOUT_MS: '1500', CAPTCHALA_APP_SECRET: 'test-app-secret' }, () =>
    doctor({ appKey: 'test-app-key', apiBase: emulator.url, environment: 'development', logger: console, onOutcome: () => {} }));
  assert.equal(report.ok, true, report.text);
  assert.equal(detail(report, 'app_key'), '"test-app-key"  [argument]');
  assert.equal(detail(report, 'timeout_ms'), '1500  [environment PASSGATE_TIMEOUT_MS]');
  assert.equal(detail(report, 'app_secret'), '******** (set)  [environment CAPTCHALA_APP_SECRET]');
  assert.match(detail(report, 'replay_store'), /\(default\)/);
  assert.ok(!report.text.includes('test-app-secret') && !JSON.stringify(report).includes('test-app-secret'));
});

test('a setting the core refuses is the configuration check; a malformed option throws', async () => {
  const report = await doctor({ appKey: 'test-app-key', appSecret: SECRET, apiBase: 'ftp://nowhere', environment: 'development' });
  assert.equal(report.ok, false);
  assert.equal(check(report, 'configuration').status, 'fail');
  assert.match(check(report, 'configuration').summary, /api_base/);
  for (const name of CHECKS.slice(1)) assert.equal(check(report, name).status, 'skip');
  await assert.rejects(doctor({ colour: 'red' }), (err) => err instanceof PassgateError && err.code === 'PASSGATE_CONFIG' && /colour/.test(err.message));
  await assert.rejects(doctor({ timeoutMs: {} }), (err) => err.code === 'PASSGATE_CONFIG' && /timeoutMs/.test(err.message));
});

test('passgate doctor exits 0 for a healthy set-up and 1 for a wrong secret; --json parses', () => {
  const healthy = cli(['doctor'], captchalaEnv('test-app-secret'));
  assert.equal(healthy.status, 0, healthy.stdout + healthy.stderr);
  assert.match(healthy.stdout, /✓ keys/);
  assert.match(healthy.stdout, /app_key +"test-app-key" {2}\[environment CAPTCHALA_APP_KEY\]/);

  const wrong = cli(['doctor', '--json'], captchalaEnv(SECRET));
  assert.equal(wrong.status, 1, wrong.stdout + wrong.stderr);
  const report = JSON.parse(wrong.stdout);
  assert.equal(report.ok, false);
  assert.equal(check(report, 'keys').status, 'fail');
  assert.ok(!wrong.stdout.includes(SECRET) && !wrong.stderr.includes(SECRET));

  const json = cli(['doctor', '--json'], captchalaEnv('test-app-secret'));
  assert.equal(json.status, 0, json.stdout + json.stderr);
  assert.deepEqual(JSON.parse(json.stdout).checks.map((c) => c.status), ['pass', 'pass', 'pass', 'pass', 'pass']);
});

test('passgate with no command, another command or an unknown flag exits 2 with the usage', () => {
  for (const args of [[], ['validate'], ['doctor', '--yaml']]) {
    const run = cli(args, {});
    assert.equal(run.status, 2, `${args}: ${run.stderr}`);
    assert.match(run.stderr, /usage: passgate doctor \[--json\]/);
    assert.equal(run.stdout, '');
  }
  const help = cli(['--help'], {});
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: passgate doctor/);
});
