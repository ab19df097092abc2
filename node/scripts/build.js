#!/usr/bin/env node
// Builds the native addon with cargo (from the passgate repository this
// package lives in) and places it at ./passgate.node. Runs on `npm install`;
// an existing passgate.node is kept unless --force is given.
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = path.resolve(__dirname, '..');
const addon = path.join(here, 'passgate.node');
const workspace = path.resolve(here, '..');

if (fs.existsSync(addon) && !process.argv.includes('--force')) {
  process.exit(0);
}
if (!fs.existsSync(path.join(workspace, 'core', 'Cargo.toml'))) {
  console.error('passgate: no prebuilt passgate.node and no passgate sources at ' + workspace +
    '; install from a checkout of the passgate repository (npm install ./node).');
  process.exit(1);
}

const profile = process.env.PASSGATE_NODE_PROFILE === 'debug' ? 'debug' : 'release';
const targetDir = process.env.CARGO_TARGET_DIR || path.join(workspace, 'target', 'ext');
const args = ['build', '-p', 'passgate-node'];
if (profile === 'release') args.push('--release');
execFileSync('cargo', args, {
  cwd: workspace,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, CARGO_TARGET_DIR: targetDir },
});
const name = process.platform === 'darwin' ? 'libpassgate_node.dylib' : 'libpassgate_node.so';
fs.copyFileSync(path.join(targetDir, profile, name), addon);
