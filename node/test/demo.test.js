'use strict';
// The Node demo prints the demo cases with the same codes as `passgate demo`.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const { passgateBin } = require('./helpers');

const codes = (output) => output.split('\n').filter((line) => /^\S+\[\d+\]\s/.test(line)).map((line) => line.split(/\s+/).slice(0, 3));

test('node demo matches the Rust demo', () => {
  const node = spawnSync(process.execPath, [path.join(__dirname, '..', 'examples', 'demo.js'), passgateBin()], { encoding: 'utf8' });
  assert.equal(node.status, 0, node.stdout + node.stderr);
  const rust = spawnSync(passgateBin(), ['demo'], { encoding: 'utf8' });
  assert.equal(rust.status, 0, rust.stdout + rust.stderr);
  assert.ok(codes(node.stdout).length >= 10);
  assert.deepEqual(codes(node.stdout), codes(rust.stdout));
});
