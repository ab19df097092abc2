'use strict';
// Finds the native addon: the per-platform package (@passgate/<platform>,
// an optional dependency of the published package), else ./passgate.node (a
// build from a checkout). Where neither exists, says which platform it looked
// for and how to build one.

const PLATFORM_PACKAGES = {
  'linux-x64-gnu': '@passgate/linux-x64-gnu',
};

function libc() {
  if (process.platform !== 'linux') return '';
  const report = process.report && process.report.getReport ? process.report.getReport() : null;
  return report && report.header && report.header.glibcVersionRuntime ? '-gnu' : '-musl';
}

function platformName() {
  return `${process.platform}-${process.arch}${libc()}`;
}

function tryRequire(name) {
  try {
    return require(name);
  } catch (err) {
    // Only "not there" falls through; a broken addon must say so.
    if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(name)) return null;
    throw err;
  }
}

function loadNative() {
  const platform = platformName();
  const packageName = PLATFORM_PACKAGES[platform];
  const found = (packageName && tryRequire(packageName)) || tryRequire('./passgate.node');
  if (found) return found;
  throw new Error(
    `passgate: no prebuilt native addon for ${platform}` +
      (packageName
        ? ` (the optional dependency ${packageName} is not installed: was it skipped with --no-optional or --omit=optional?)`
        : ` (prebuilt: ${Object.keys(PLATFORM_PACKAGES).join(', ')})`) +
      '. To build from source, with Rust (rustup.rs) installed: git clone the passgate repository, then ' +
      '`cd node && npm install && npm run build`, and install that directory.',
  );
}

module.exports = { loadNative, platformName, PLATFORM_PACKAGES };
