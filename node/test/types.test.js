'use strict';
// The hand-written declarations type-check a usage file under --strict.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

test('tsc --noEmit --strict accepts test/usage.ts', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--target', 'es2022', 
    path.join(__dirname, 'usage.ts')], { encoding: 'utf8', cwd: path.join(__dirname, '..') });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

test('tsc rejects a misuse (the check has teeth)', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const fs = require('node:fs');
  const os = require('node:os');
  const file = path.join(__dirname, 'misuse.generated.ts');
  fs.writeFileSync(file, "import { Verifier } from 'passgate';\nconst s: number = new Verifier().validateSync('x').code;\nexport {};\n");
  try {
    const result = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext',
      '--moduleResolution', 'nodenext', file], { encoding: 'utf8', cwd: path.join(__dirname, '..') });
    assert.notEqual(result.status, 0);
    assert.match(result.stdout, /not assignable to type 'number'/);
  } finally {
    fs.rmSync(file, { force: true });
    void os;
  }
});
