'use strict';
// package.json's `exports` and `files` agree with the modules: every entry point ships, every
// relative require/import of a shipped module ships too, and (for tools/dist.sh, which copies
// `files` into the published package, less scripts/) every shipped module is top-level but the
// `bin` command in bin/.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const dir = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));

function packed() {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], { cwd: dir, encoding: 'utf8' });
  return new Set(JSON.parse(out)[0].files.map((file) => file.path));
}

test('every exports target is in files, exists, and is packed', () => {
  const files = packed();
  const entries = Object.keys(pkg.exports);
  assert.deepEqual(entries, ['.', './express', './fastify', './http', './prometheus', './package.json']);
  for (const [entry, targets] of Object.entries(pkg.exports)) {
    for (const target of typeof targets === 'string' ? [targets] : Object.values(targets)) {
      const file = path.normalize(target);
      assert.ok(fs.existsSync(path.join(dir, file)), `${entry}: ${file} exists`);
      assert.ok(files.has(file), `${entry}: ${file} is packed`);
    }
  }
});

test('every relative require or import in a shipped module names a shipped, top-level file', () => {
  const files = packed();
  const modules = pkg.files.filter((file) => /\.(js|mjs)$/.test(file) && !file.startsWith('scripts/'));
  assert.ok(modules.includes('web.js'));
  const commands = Object.values(pkg.bin).map((file) => path.normalize(file));
  for (const module of modules) {
    const where = commands.includes(module) ? 'bin' : '.';
    assert.equal(path.dirname(module), where, `${module} is ${where === '.' ? 'top-level' : 'the bin command'}`);
    const source = fs.readFileSync(path.join(dir, module), 'utf8');
    for (const [, target] of source.matchAll(/(?:require\(|from\s+)'(\.\.?\/[^']+)'/g)) {
      const file = path.normalize(path.join(path.dirname(module), target));
      if (file === 'passgate.node') continue; // the addon: from the platform package once published
      assert.ok(files.has(file), `${module} needs ${file}, which is packed`);
    }
  }
});

test('the passgate command is packed, executable, and a node script', () => {
  const files = packed();
  assert.deepEqual(pkg.bin, { passgate: 'bin/passgate.js' });
  const file = path.join(dir, pkg.bin.passgate);
  assert.ok(files.has(path.normalize(pkg.bin.passgate)), 'bin/passgate.js is packed');
  assert.ok(fs.statSync(file).mode & 0o100, 'bin/passgate.js is executable');
  assert.match(fs.readFileSync(file, 'utf8'), /^#!\/usr\/bin\/env node\n/);
});

test('prom-client is an optional peer (and a pinned dev dependency), never a dependency', () => {
  assert.equal(pkg.dependencies, undefined);
  assert.ok(pkg.peerDependencies['prom-client']);
  assert.deepEqual(pkg.peerDependenciesMeta['prom-client'], { optional: true });
  assert.match(pkg.devDependencies['prom-client'], /^\d+\.\d+\.\d+$/);
  const source = fs.readFileSync(path.join(dir, 'prometheus.js'), 'utf8');
  assert.ok(!/^const .*require\('prom-client'\)/m.test(source), 'prom-client is required lazily, only when needed');
});
