'use strict';
// worker_threads and a cluster fork both validate.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const { fork } = require('node:child_process');
const path = require('node:path');

const { Verifier } = require('..');
const { startEmulator } = require('./helpers');

let emulator;
before(async () => { emulator = await startEmulator(); });
after(async () => { await emulator.stop(); });

test('validates in worker_threads and after they exit', async () => {
  const verifier = new Verifier(emulator.options());
  assert.equal((await verifier.validate('pt_node_main_before')).code, 'passed');
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { Verifier } = require(workerData.pkg);
    new Verifier(workerData.options).validate(workerData.token).then((o) => parentPort.postMessage(o.code));
  `;
  const codes = await Promise.all([1, 2, 3].map((i) => new Promise((resolve, reject) => {
    const worker = new Worker(source, {
      eval: true,
      workerData: { pkg: path.resolve(__dirname, '..'), options: emulator.options(), token: `pt_node_worker_${i}` },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
  })));
  assert.deepEqual(codes, ['passed', 'passed', 'passed']);
  // The workers are gone; the main thread still validates.
  assert.equal((await verifier.validate('pt_node_main_after')).code, 'passed');
});

test('validates in the primary and in cluster workers', async () => {
  const primary = new Verifier(emulator.options());
  assert.equal((await primary.validate('pt_node_primary')).code, 'passed');
  const script = path.join(__dirname, 'fixtures', 'cluster.js');
  const child = fork(script, [], { env: { ...process.env, EMULATOR_URL: emulator.url }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const result = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('cluster test hung')); }, 30000);
    child.once('message', (message) => { clearTimeout(timer); resolve(message); });
    child.once('exit', (code) => { clearTimeout(timer); if (code) reject(new Error(`cluster primary exited ${code}`)); });
  });
  assert.deepEqual(result.codes, ['passed', 'passed', 'passed']);
  assert.equal(new Set(result.pids).size, 2, 'two workers answered');
});
