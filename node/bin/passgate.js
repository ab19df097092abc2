#!/usr/bin/env node
'use strict';
// `npx passgate doctor [--json]`: the core's deployment checks with the
// settings this process's environment gives (CAPTCHALA_APP_KEY,
// PASSGATE_PROVIDER, PASSGATE_*). Exit 0 when no check failed, 1 when one
// did, 2 for a usage error.

const USAGE = `usage: passgate doctor [--json]

  doctor    check the configuration from the environment, the provider's API,
            the keys, the clock and the replay store; one line of advice per problem
  --json    print the report as JSON instead of the table
`;

function parse(args) {
  const [command, ...flags] = args;
  if (command === '--help' || command === '-h' || command === 'help') return { help: true };
  if (command !== 'doctor') {
    return { error: command === undefined ? 'no command given' : `unknown command: ${command}` };
  }
  const unknown = flags.find((flag) => flag !== '--json');
  if (unknown !== undefined) return { error: `unknown argument: ${unknown}` };
  return { json: flags.includes('--json') };
}

async function main(args) {
  const parsed = parse(args);
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.error) {
    process.stderr.write(`passgate: ${parsed.error}\n${USAGE}`);
    return 2;
  }
  const { doctor } = require('../index.js');
  const report = await doctor();
  process.stdout.write(parsed.json ? JSON.stringify(report, null, 2) + '\n' : report.text);
  return report.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`passgate: ${err && err.message ? err.message : err}\n`);
    process.exitCode = 1;
  },
);
