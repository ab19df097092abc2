#!/usr/bin/env bash
# `make dist`: every package, built for linux x86_64, into dist/ — each in the
# layout its ecosystem uses for many platforms, so another target is one more
# build — and a .sha256 beside every artifact.
#
#   dist/python/  passgate-V-cp39-abi3-manylinux_2_17_x86_64.whl, passgate-V.tar.gz (sdist)
#   dist/node/    passgate-V.tgz (optionalDependencies: @passgate/linux-x64-gnu),
#                 passgate-linux-x64-gnu-V.tgz (@passgate/linux-x64-gnu)
#   dist/ruby/    passgate-V-x86_64-linux.gem (compiled), passgate-V.gem (source)
#   dist/php/     composer.json (PIE, type php-ext), php_passgate-V_php8.2-x86_64-linux-glibc-nts.zip,
#                 passgate-V-php8.2-api20220829-nts-x86_64-linux-gnu.so
#   dist/cli/     passgate-V-x86_64-unknown-linux-gnu.tar.gz
#
# Expects `make python node ruby-vendor php` to have run (the Makefile's dist
# target does that): it reuses their release builds in target/ext.
set -euo pipefail
cd "$(dirname "$0")/.."

root=$PWD
version=$(tools/version)
target=x86_64-unknown-linux-gnu
ext_target=$root/target/ext
venv=$root/.venv
dist=$root/dist
stage=$root/target/dist-stage
rm -rf "$dist" "$stage"
mkdir -p "$dist"/{python,node,ruby,php,cli} "$stage"

say() { echo "dist: $*"; }

# --- Python: the wheel links against glibc 2.17 through zig, so it runs on
# any manylinux2014 system; the sdist builds from source where no wheel fits.
say "python wheel (manylinux_2_17, abi3) and sdist"
PATH=$venv/bin:$PATH CARGO_TARGET_DIR=$root/target/zig \
  "$venv/bin/maturin" build --quiet --release --strip --zig --compatibility manylinux_2_17 \
  --target "$target" -m python/Cargo.toml -o "$dist/python"
PATH=$venv/bin:$PATH "$venv/bin/maturin" sdist -m python/Cargo.toml -o "$dist/python" >/dev/null

# --- Node: napi-rs layout. The platform package holds only the addon; the
# main package finds it through optionalDependencies and needs no install
# script (pnpm and bun run none).
say "npm packages"
platform_pkg=$stage/node-linux-x64-gnu
mkdir -p "$platform_pkg"
cp node/passgate.node "$platform_pkg/passgate.linux-x64-gnu.node"
cat > "$platform_pkg/README.md" <<EOF
# @passgate/linux-x64-gnu

The prebuilt native addon of [passgate](https://www.npmjs.com/package/passgate)
for Linux x86_64 with glibc. Install \`passgate\`, not this package: it is an
optional dependency that npm, pnpm and bun pick for this platform.
EOF
node -e '
  const [dir, version] = process.argv.slice(1);
  require("fs").writeFileSync(dir + "/package.json", JSON.stringify({
    name: "@passgate/linux-x64-gnu", version,
    description: "passgate native addon for linux x64 (glibc)",
    license: "MIT OR Apache-2.0", os: ["linux"], cpu: ["x64"], libc: ["glibc"],
    main: "passgate.linux-x64-gnu.node", files: ["passgate.linux-x64-gnu.node", "README.md"],
    engines: { node: ">=18" },
  }, null, 2) + "\n");' "$platform_pkg" "$version"
(cd "$platform_pkg" && npm pack --quiet --pack-destination "$dist/node" >/dev/null)

main_pkg=$stage/node-passgate
mkdir -p "$main_pkg"
node -e '
  const fs = require("fs");
  const [source, dir] = process.argv.slice(1);
  const pkg = JSON.parse(fs.readFileSync(source + "/package.json", "utf8"));
  // The published package: no addon of its own, no build script, no install step.
  pkg.files = pkg.files.filter((f) => f !== "passgate.node" && !f.startsWith("scripts/"));
  pkg.files.push("README.md");
  delete pkg.scripts;
  delete pkg.devDependencies;
  pkg.optionalDependencies = { "@passgate/linux-x64-gnu": pkg.version };
  for (const file of pkg.files) {
    // bin/passgate.js sits in a folder of its own; copyFile keeps its mode.
    fs.mkdirSync(require("path").dirname(dir + "/" + file), { recursive: true });
    fs.copyFileSync(source + "/" + file, dir + "/" + file);
  }
  fs.writeFileSync(dir + "/package.json", JSON.stringify(pkg, null, 2) + "\n");' node "$main_pkg"
(cd "$main_pkg" && npm pack --quiet --pack-destination "$dist/node" >/dev/null)

# --- Ruby: the platform gem carries the extension compiled for this Ruby;
# the source gem compiles it at install time (needs Rust).
say "gems"
(cd ruby/ext/passgate && CARGO_TARGET_DIR=$ext_target cargo build --quiet --locked --release)
ruby ruby/tools/platform_gem.rb "$ext_target/release/libpassgate_native.so" "$dist/ruby" >/dev/null
(cd ruby && gem build --silent passgate.gemspec -o "$dist/ruby/passgate-$version.gem")

# --- PHP: a PIE package (composer.json, type php-ext) and the prebuilt
# extension, named for PIE's pre-packaged-binary download and, as a plain
# .so, with the PHP API version and thread safety in its name.
say "php extension"
php_minor=$(php -r 'echo PHP_MAJOR_VERSION, ".", PHP_MINOR_VERSION;')
php_api=$(php -i | sed -n 's/^PHP API => //p')
php_ts=$(php -r 'echo PHP_ZTS ? "zts" : "nts";')
cp php-ext/composer.json "$dist/php/composer.json"
cp php-ext/README.md "$dist/php/README.md"
cp target/php/passgate.so "$dist/php/passgate-$version-php$php_minor-api$php_api-$php_ts-x86_64-linux-gnu.so"
pie_dir=$stage/php
mkdir -p "$pie_dir"
cp target/php/passgate.so "$pie_dir/passgate.so"
(cd "$pie_dir" && python3 -c '
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.write("passgate.so")' "$dist/php/php_passgate-${version}_php$php_minor-x86_64-linux-glibc-$php_ts.zip")

# --- The passgate binary: the emulator, validate, issue, options.
say "passgate binary"
CARGO_TARGET_DIR=$ext_target cargo build --quiet --release -p passgate-cli
cli_dir=$stage/passgate-$version-$target
mkdir -p "$cli_dir"
cp "$ext_target/release/passgate" "$cli_dir/"
cp -r README.md CHANGELOG.md docs "$cli_dir/"
tar -C "$stage" -czf "$dist/cli/passgate-$version-$target.tar.gz" "passgate-$version-$target"

# --- A checksum beside every artifact.
find "$dist" -type f ! -name '*.sha256' | sort | while read -r artifact; do
  (cd "$(dirname "$artifact")" && sha256sum "$(basename "$artifact")" > "$(basename "$artifact").sha256")
done
say "done"
(cd "$dist" && find . -type f ! -name '*.sha256' -printf '%8k KiB  %p\n' | sort -k3)
