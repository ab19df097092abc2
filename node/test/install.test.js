'use strict';
// The user path: `npm install <repo>/node` in a fresh project, then require and import.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

test('npm install ./node in a fresh project gives require and import', () => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'passgate-npm-'));
  try {
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', path.resolve(__dirname, '..')], { cwd: project, stdio: 'pipe' });
    const script = `
      const { Verifier } = require('passgate');
      const { requireCaptcha } = require('passgate/express');
      const v = new Verifier({ mode: 'test', environment: 'test' });
      import('passgate').then(async (esm) => {
        const outcome = await new esm.Verifier({ mode: 'test', environment: 'test' }).validate('pt_test_expired');
        console.log(v.validateSync('pt_test_passed').code, outcome.code, typeof requireCaptcha);
      });`;
    const printed = execFileSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8' });
    assert.equal(printed.trim(), 'passed expired function');
    const mjs = path.join(project, 'check.mjs');
    fs.writeFileSync(mjs, "import { Verifier } from 'passgate';\nimport { requireCaptcha } from 'passgate/express';\n" +
      "console.log(new Verifier({ mode: 'test', environment: 'test' }).validateSync(null).code, typeof requireCaptcha);\n");
    assert.equal(execFileSync(process.execPath, [mjs], { cwd: project, encoding: 'utf8' }).trim(), 'missing_token function');
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
});
