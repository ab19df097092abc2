'use strict';
// Cross-language replay test, Node side (see worker.py).
const readline = require('node:readline');
const { Verifier } = require(process.env.PASSGATE_NODE_PACKAGE);

const verifier = new Verifier({ appKey: 'test-app-key', appSecret: 'test-app-secret', environment: 'test',
  apiBase: process.env.EMULATOR_URL, replayStore: process.env.REDIS_URL });
const count = Number(process.env.PER_PROCESS);

async function main() {
  console.log('ready', (await verifier.validate('pt_cross_warmup_node')).code);
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const token = line.trim();
    const outcomes = await Promise.all(Array.from({ length: count }, () => verifier.validate(token)));
    const codes = {};
    for (const o of outcomes) codes[o.code] = (codes[o.code] || 0) + 1;
    console.log(JSON.stringify(codes));
  }
}
main();
