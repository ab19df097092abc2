'use strict';
// `make demo`, Node part: the demo cases of conformance/cases.json through the
// Node binding, printed like `passgate demo` prints them.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const { Verifier } = require('..');

const REPO = path.resolve(__dirname, '..', '..');
const CASES = path.join(REPO, 'conformance', 'cases.json');
const camel = (options) => Object.fromEntries(
  Object.entries(options).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), v]));

async function main(passgateBin) {
  const doc = JSON.parse(fs.readFileSync(CASES, 'utf8'));
  const mock = spawn(passgateBin, ['mock', '--script', CASES, '--exit-with-stdin'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const lines = readline.createInterface({ input: mock.stdout });
  const url = await new Promise((resolve) => lines.once('line', resolve));
  lines.close();
  console.log(`passgate demo (Node ${process.versions.node}) — emulator at ${url}\n`);
  let unexpected = 0;
  try {
    for (const testCase of doc.cases.filter((c) => c.demo)) {
      const options = {
        ...doc.defaults.options,
        ...doc.defaults.provider_options[testCase.provider || 'captchala'],
        ...(testCase.options || {}),
      };
      for (const [k, v] of Object.entries(options)) if (typeof v === 'string') options[k] = v.replaceAll('{emulator}', url);
      const verifier = new Verifier(camel(options));
      for (const [index, call] of testCase.calls.entries()) {
        const outcome = await verifier.validate(call.token, { clientIp: call.client_ip, action: call.action, uid: call.uid });
        const mark = outcome.code === call.expect.code ? '' : '  << UNEXPECTED';
        if (mark) unexpected += 1;
        const label = `${testCase.name}[${index}]`;
        console.log(`${label.padEnd(42)} ${outcome.code.padEnd(21)} ${outcome.httpStatus}  ${outcome.message}${mark}`);
        console.log(`    ${JSON.stringify(outcome.logFields)}`);
      }
    }
  } finally {
    mock.kill();
  }
  return unexpected ? 1 : 0;
}

main(process.argv[2] || path.join(REPO, 'target', 'debug', 'passgate')).then((code) => { process.exitCode = code; });
