'use strict';
// The user paths: `npm install <repo>/node` (which builds the addon) and
// `npm pack` + installing the tarball, each in a fresh project.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const packageDir = path.resolve(__dirname, '..');
const addon = path.join(packageDir, 'passgate.node');

function freshProject() {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'passgate-npm-'));
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  return project;
}

const npmInstall = (project, what) =>
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', what], { cwd: project, stdio: 'pipe' });

test('npm install ./node in a fresh project builds the addon and gives require and import', () => {
  const project = freshProject();
  // Without a passgate.node, the package's install script must build one.
  const kept = addon + '.kept';
  fs.renameSync(addon, kept);
  try {
    npmInstall(project, packageDir);
    assert.ok(fs.existsSync(addon), 'the install script built passgate.node');
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
    if (fs.existsSync(addon)) fs.rmSync(kept); else fs.renameSync(kept, addon);
    fs.rmSync(project, { recursive: true, force: true });
  }
});

test('npm pack, then installing the tarball in a fresh project', () => {
  const project = freshProject();
  try {
    const tarball = execFileSync('npm', ['pack', '--loglevel=error', '--pack-destination', project], { cwd: packageDir, encoding: 'utf8' })
      .trim().split('\n').pop();
    npmInstall(project, path.join(project, tarball));
    assert.ok(!fs.lstatSync(path.join(project, 'node_modules', 'passgate')).isSymbolicLink(), 'a real copy, not a link');
    const printed = execFileSync(process.execPath,
      ['-e', "const { Verifier } = require('passgate'); console.log(new Verifier({ mode: 'test', environment: 'test' }).validateSync('pt_test_replayed').code)"],
      { cwd: project, encoding: 'utf8' });
    assert.equal(printed.trim(), 'replayed');
    // The `bin` entry: what `npx passgate doctor` runs.
    const command = path.join(project, 'node_modules', '.bin', 'passgate');
    const usage = execFileSync(command, ['--help'], { cwd: project, encoding: 'utf8' });
    assert.match(usage, /usage: passgate doctor \[--json\]/);
    // passgate/prometheus loads without prom-client installed (an optional peer, required lazily).
    const names = execFileSync(process.execPath, ['-e', `
      const names = [];
      require('passgate/prometheus').register({ registerMetric: (m) => names.push(m.name), getSingleMetric: () => undefined });
      console.log(names[0]);`], { cwd: project, encoding: 'utf8' });
    assert.equal(names.trim(), 'passgate_validations_total');
    assert.ok(!fs.existsSync(path.join(project, 'node_modules', 'prom-client')));
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
});
