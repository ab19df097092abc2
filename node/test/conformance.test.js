'use strict';
// Every case of conformance/cases.json through the Node binding.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const util = require('node:util');

const { Verifier, LOG_KEYS, OUTCOME_CODES } = require('..');
const { CASES, startEmulator, camel } = require('./helpers');

const doc = JSON.parse(fs.readFileSync(CASES, 'utf8'));
let emulator;

before(async () => { emulator = await startEmulator('--script', CASES); });
after(async () => { await emulator.stop(); });

function matches(expected, actual) {
  if (expected !== null && typeof expected === 'object' && '$between' in expected) {
    const [low, high] = expected.$between;
    return typeof actual === 'number' && low <= actual && actual <= high;
  }
  if (expected !== null && typeof expected === 'object' && '$type' in expected) {
    const kind = expected.$type;
    if (kind === 'null') return actual === null;
    if (kind === 'bool') return typeof actual === 'boolean';
    return typeof actual === kind && (kind !== 'number' || Number.isFinite(actual));
  }
  return expected === actual;
}

function tokenOf(call) {
  if (call.token_repeat) return call.token_repeat.prefix + call.token_repeat.char.repeat(call.token_repeat.count);
  return call.token;
}

test('the case file covers every code and log key', () => {
  const codes = new Set(doc.cases.flatMap((c) => c.calls.map((call) => call.expect.code)));
  assert.deepEqual([...codes].sort(), [...OUTCOME_CODES].sort());
  assert.deepEqual(doc.log_keys, [...LOG_KEYS]);
});

for (const testCase of doc.cases) {
  test(`case ${testCase.name}`, async () => {
    // defaults.options, then the case's provider's defaults, then its own.
    const options = {
      ...doc.defaults.options,
      ...doc.defaults.provider_options[testCase.provider || 'captchala'],
      ...(testCase.options || {}),
    };
    for (const [key, value] of Object.entries(options)) {
      if (typeof value === 'string') options[key] = value.replaceAll('{emulator}', emulator.url);
    }
    const verifier = new Verifier(camel(options));
    for (const [index, call] of testCase.calls.entries()) {
      const where = `${testCase.name}[${index}]`;
      const token = tokenOf(call);
      const outcome = await verifier.validate(token, {
        clientIp: call.client_ip, action: call.action, uid: call.uid, keepToken: call.keep_token,
      });
      const expect = call.expect;
      const problems = [];
      for (const [key, name] of [['ok', 'ok'], ['code', 'code'], ['category', 'category'], ['retryable', 'retryable'], ['http_status', 'httpStatus']]) {
        if (!matches(expect[key], outcome[name])) problems.push(`${key}: expected ${expect[key]}, got ${outcome[name]}`);
      }
      assert.deepEqual(Object.keys(outcome.logFields), doc.log_keys, where);
      for (const [key, expected] of Object.entries(expect.log_fields)) {
        if (!matches(expected, outcome.logFields[key])) {
          problems.push(`log_fields.${key}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(outcome.logFields[key])}`);
        }
      }
      const printed = util.inspect(outcome, { depth: 5 }) + util.inspect(verifier) + JSON.stringify(outcome);
      assert.ok(!printed.includes(options.app_secret || options.secret_key), `${where}: secret printed`);
      if (token && token.trim().length >= 4) assert.ok(!printed.includes(token.trim()), `${where}: token printed`);
      assert.deepEqual(problems, [], where);
    }
  });
}
