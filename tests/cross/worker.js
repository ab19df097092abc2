'use strict';
// Cross-language replay test, Node side (see worker.py).
const readline = require('node:readline');
const { Verifier } = require(process.env.PASSGATE_NODE_PACKAGE);

const verifier = new Verifier({ appKey: 'test-app-key', appSecret: 'test-app-secret', environment: 'test',
  apiBase: process.env.EMULATOR_URL, replayStore: process.env.REDIS_URL });
const tokens = process.env.TOKENS.split(',');
const count = Number(process.env.PER_PROCESS);
console.log('ready');
readline.createInterface({ input: process.stdin }).once('line', async () => {
  const result = {};
  for (const token of tokens) {
    const outcomes = await Promise.all(Array.from({ length: count }, () => verifier.validate(token)));
    result[token] = {};
    for (const o of outcomes) result[token][o.code] = (result[token][o.code] || 0) + 1;
  }
  console.log(JSON.stringify(result));
  process.exit(0);
});
