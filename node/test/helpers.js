'use strict';
// The `passgate mock` emulator as a child process, for the tests.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const REPO = path.resolve(__dirname, '..', '..');
const CASES = path.join(REPO, 'conformance', 'cases.json');

function passgateBin() {
  const bin = process.env.PASSGATE_BIN || path.join(REPO, 'target', 'debug', 'passgate');
  if (!fs.existsSync(bin)) execFileSync('cargo', ['build', '-q', '-p', 'passgate-cli'], { cwd: REPO, stdio: 'inherit' });
  return bin;
}

async function startEmulator(...args) {
  const child = spawn(passgateBin(), ['mock', '--exit-with-stdin', ...args], { stdio: ['pipe', 'pipe', 'ignore'] });
  const lines = readline.createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`passgate mock exited with ${code}`)));
  });
  lines.close();
  const call = async (method, route, body) => {
    const response = await fetch(url + route, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return response.json();
  };
  return {
    url,
    script: (token, behaviour = {}) => call('POST', '/__mock/script', { token, ...behaviour }),
    stats: () => call('GET', '/__mock/stats'),
    options: (overrides = {}) => ({
      appKey: 'test-app-key',
      appSecret: 'test-app-secret',
      environment: 'test',
      apiBase: url,
      backupApiBase: url,
      timeoutMs: 2000,
      ...overrides,
    }),
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill();
    }),
  };
}

/** DESIGN snake_case option names → the camelCase the Node API takes. */
function camel(options) {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), v]));
}

module.exports = { REPO, CASES, passgateBin, startEmulator, camel };
