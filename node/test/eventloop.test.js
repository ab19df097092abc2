'use strict';
// validate never blocks the event loop.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { Verifier } = require('..');
const { startEmulator } = require('./helpers');

let emulator;
before(async () => { emulator = await startEmulator(); });
after(async () => { await emulator.stop(); });

test('50 validations waiting on a 200 ms upstream leave the event loop free', async () => {
  const tokens = Array.from({ length: 50 }, (_, i) => `pt_node_loop_${i}`);
  await Promise.all(tokens.map((token) => emulator.script(token, { delay_ms: 200 })));
  const verifier = new Verifier(emulator.options());
  let ticks = 0;
  const timer = setInterval(() => { ticks += 1; }, 10);
  const started = performance.now();
  const outcomes = await Promise.all(tokens.map((token) => verifier.validate(token)));
  const elapsed = performance.now() - started;
  clearInterval(timer);
  assert.deepEqual(outcomes.map((o) => o.code), Array(50).fill('passed'));
  assert.ok(elapsed < 2500, `took ${elapsed} ms; one after another would be 10000`);
  // 200+ ms at one tick per 10 ms: a blocked loop would show ~0.
  assert.ok(ticks >= 10, `only ${ticks} ticks`);
  assert.equal((await emulator.stats()).validate_calls, 50);
});
