'use strict';
// package.json's `exports` and `files` agree with the modules: every entry point ships, every
// relative require/import of a shipped module ships too, and (for tools/dist.sh, which copies
// `files` flat into the published package, less scripts/) every shipped module is top-level.

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
  assert.deepEqual(entries, ['.', './express', './fastify', './http', './package.json']);
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
  for (const module of modules) {
    assert.equal(path.dirname(module), '.', `${module} is top-level (dist.sh copies files flat)`);
    const source = fs.readFileSync(path.join(dir, module), 'utf8');
    for (const [, target] of source.matchAll(/(?:require\(|from\s+)'(\.\/[^']+)'/g)) {
      const file = path.normalize(target);
      if (file === 'passgate.node') continue; // the addon: from the platform package once published
      assert.ok(files.has(file), `${module} needs ${file}, which is packed`);
    }
  }
});
