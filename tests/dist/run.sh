#!/usr/bin/env bash
# `make test-dist`: every package in dist/ installed the way a user of its
# ecosystem would, where no Rust toolchain can be found (a bare environment:
# `env -i`, a PATH of system directories only, a HOME without ~/.cargo), then
# a token validated against the emulator from the packaged `passgate` binary.
# Also checks which packages carry Rust sources: the sdist and the source gem
# must, the wheel, the npm packages and the platform gem must not.
set -euo pipefail
cd "$(dirname "$0")/../.."

root=$PWD
dist=$root/dist
version=$(tools/version)
work=$(mktemp -d /tmp/passgate-dist-test.XXXXXX)
mkdir -p "$work/home"
failures=0
checks=0

bare() { env -i HOME="$work/home" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "$@"; }
pass() { checks=$((checks + 1)); echo "ok   $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL $*"; }
expect() { # expect NAME WANTED ACTUAL
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: wanted '$2', got '$3'"; fi
}

cleanup() {
  [ -n "${MOCK_PID:-}" ] && kill "$MOCK_PID" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if bare sh -c 'command -v cargo || command -v rustc || test -d "$HOME/.cargo"' >/dev/null; then
  fail "the bare environment still reaches a Rust toolchain"
else
  pass "no cargo, rustc or ~/.cargo in the bare environment"
fi

# --- What each package carries.
rust_files() { # list a package's members, count the Rust sources
  case "$1" in
    *.whl | *.zip) python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1" ;;
    *.tgz | *.tar.gz) tar -tzf "$1" ;;
    *.gem) tar -xOf "$1" data.tar.gz | tar -tz ;;
  esac | grep -c '\.rs$' || true
}
for package in "$dist"/python/*.whl "$dist"/node/*.tgz "$dist"/ruby/passgate-"$version"-x86_64-linux.gem "$dist"/php/*.zip; do
  expect "no Rust sources in $(basename "$package")" 0 "$(rust_files "$package")"
done
for package in "$dist/python/passgate-$version.tar.gz" "$dist/ruby/passgate-$version.gem"; do
  count=$(rust_files "$package")
  if [ "$count" -gt 10 ]; then pass "$(basename "$package") carries the Rust sources ($count files)"; else fail "$(basename "$package") carries $count Rust sources"; fi
done
for artifact in $(find "$dist" -type f ! -name '*.sha256'); do
  if (cd "$(dirname "$artifact")" && sha256sum --quiet -c "$(basename "$artifact").sha256"); then :; else fail "checksum of $artifact"; fi
done
pass "every artifact has a matching .sha256"

# --- The passgate binary from its tarball: the emulator for everything below.
mkdir -p "$work/cli"
tar -xzf "$dist/cli/passgate-$version-x86_64-unknown-linux-gnu.tar.gz" -C "$work/cli" --strip-components=1
mkfifo "$work/mock.out"
bare "$work/cli/passgate" mock > "$work/mock.out" 2>/dev/null &
MOCK_PID=$!
exec {mock_out}<"$work/mock.out"
read -r base <&"$mock_out"
case "$base" in http://127.0.0.1:*) pass "passgate mock from the CLI tarball at $base" ;; *) fail "passgate mock printed '$base'"; exit 1 ;; esac

# --- Python: a fresh venv, pip install of the wheel, no index.
python=$(python3 -c 'import sys; print(sys.executable)')
bare "$python" -m venv "$work/venv"
bare "$work/venv/bin/pip" install --quiet --no-index "$dist"/python/*.whl
got=$(bare "$work/venv/bin/python" - "$base" <<'PY'
import sys, passgate
v = passgate.Verifier(app_key="test-app-key", app_secret="test-app-secret", api_base=sys.argv[1], environment="development")
t = passgate.Verifier(provider="turnstile", secret_key="test-secret-key", api_base=sys.argv[1], environment="development")
print(v.validate("pt_dist_python").code, v.validate("pt_dist_python").code, t.validate("dist-python").code)
PY
)
expect "python: pip install of the wheel, then validate" "passed replayed passed" "$got"
# The doctor from each installed package: exit 0 against the emulator.
doctor_env=(env CAPTCHALA_APP_KEY=test-app-key CAPTCHALA_APP_SECRET=test-app-secret PASSGATE_API_BASE="$base" PASSGATE_ENVIRONMENT=development)
doctor_ok() { # doctor_ok NAME COMMAND...: the JSON report says ok and the exit status is 0
  local name=$1 out; shift
  if out=$("$@" 2>"$work/doctor.err") && python3 -c 'import json, sys; sys.exit(0 if json.loads(sys.argv[1])["ok"] else 1)' "$out"; then
    pass "$name"
  else
    fail "$name: $out $(cat "$work/doctor.err")"
  fi
}
doctor_ok "python: python -m passgate doctor --json from the wheel" bare "${doctor_env[@]}" "$work/venv/bin/python" -m passgate doctor --json

# --- The sdist builds where no wheel fits. That needs Rust (not bare), and a
# target dir of its own so that nothing built from the checkout is reused
# (a debug build: it proves the sources are complete, in half the time).
if CARGO_TARGET_DIR=$work/sdist-target MATURIN_PEP517_ARGS="--profile dev" PATH=$root/.venv/bin:$PATH \
    "$root/.venv/bin/pip" wheel --quiet --no-deps --no-cache-dir \
    --no-build-isolation -w "$work/from-sdist" "$dist/python/passgate-$version.tar.gz" >/dev/null 2>&1 \
  && bare "$work/venv/bin/pip" install --quiet --no-index --force-reinstall "$work"/from-sdist/*.whl \
  && [ "$(bare "$work/venv/bin/python" -c 'import passgate; print(passgate.Verifier(mode="test", environment="test").validate("pt_test_expired").code)')" = expired ]; then
  pass "python: the sdist builds a working wheel (with Rust)"
else
  fail "python: the sdist does not build"
fi

# --- Node: an empty project, npm install of the two tarballs, no scripts.
mkdir -p "$work/npm"
echo '{"name":"app","version":"1.0.0","private":true}' > "$work/npm/package.json"
(cd "$work/npm" && bare env npm_config_update_notifier=false npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
  "$dist/node/passgate-linux-x64-gnu-$version.tgz" "$dist/node/passgate-$version.tgz" >/dev/null)
got=$(cd "$work/npm" && bare node -e '
  const { Verifier } = require("passgate");
  const v = new Verifier({ appKey: "test-app-key", appSecret: "test-app-secret", apiBase: process.argv[1], environment: "development" });
  const t = new Verifier({ provider: "turnstile", secretKey: "test-secret-key", apiBase: process.argv[1], environment: "development" });
  (async () => console.log((await v.validate("pt_dist_node")).code, (await v.validate("pt_dist_node")).code, (await t.validate("dist-node")).code))();' "$base")
expect "node: npm install of the tarballs (--ignore-scripts), then validate" "passed replayed passed" "$got"
cd "$work/npm"
doctor_ok "node: npx passgate doctor --json from the tarballs" bare "${doctor_env[@]}" npm_config_update_notifier=false npx --no-install passgate doctor --json
cd "$root"
if [ -e "$work/npm/node_modules/passgate/passgate.node" ]; then fail "node: the main package carries an addon"; else pass "node: the addon comes from @passgate/linux-x64-gnu"; fi
got=$(cd "$work/npm" && rm -rf node_modules/@passgate && bare node -e 'try { require("passgate") } catch (e) { console.log(e.message) }')
case "$got" in *"no prebuilt native addon for linux-x64-gnu"*"npm run build"*) pass "node: without the platform package, a clear message" ;; *) fail "node: without the platform package: $got" ;; esac

# --- Ruby: gem install --local of the platform gem into an empty GEM_HOME.
bare env GEM_HOME="$work/gems" gem install --local --no-document "$dist/ruby/passgate-$version-x86_64-linux.gem" >/dev/null
got=$(bare env GEM_HOME="$work/gems" ruby -e '
  require "passgate"
  v = Passgate::Verifier.new(app_key: "test-app-key", app_secret: "test-app-secret", api_base: ARGV[0], environment: "development")
  t = Passgate::Verifier.new(provider: "turnstile", secret_key: "test-secret-key", api_base: ARGV[0], environment: "development")
  puts [v.validate("pt_dist_ruby").code, v.validate("pt_dist_ruby").code, t.validate("dist-ruby").code].join(" ")' "$base")
expect "ruby: gem install --local of the platform gem, then validate" "passed replayed passed" "$got"
doctor_ok "ruby: passgate-doctor --json from the platform gem" bare "${doctor_env[@]}" GEM_HOME="$work/gems" "$work/gems/bin/passgate-doctor" --json
if find "$work/gems/extensions" -name 'passgate*' 2>/dev/null | grep -q .; then fail "ruby: something was compiled at install"; else pass "ruby: nothing compiled at install"; fi

# --- PHP: the extension from the PIE archive, loaded with -d extension=.
mkdir -p "$work/php"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$dist"/php/php_passgate-*.zip "$work/php"
got=$(bare php -n -d extension="$work/php/passgate.so" -r '
  $v = new Passgate\Verifier(["app_key" => "test-app-key", "app_secret" => "test-app-secret", "api_base" => $argv[1], "environment" => "development"]);
  $t = new Passgate\Verifier(["provider" => "turnstile", "secret_key" => "test-secret-key", "api_base" => $argv[1], "environment" => "development"]);
  echo $v->validate("pt_dist_php")->code, " ", $v->validate("pt_dist_php")->code, " ", $t->validate("dist-php")->code;' "$base")
expect "php: the extension from the PIE archive, then validate" "passed replayed passed" "$got"
doctor_ok "php: Passgate\\doctor() from the PIE archive's extension" bare "${doctor_env[@]}" php -n -d extension="$work/php/passgate.so" -r 'echo Passgate\doctor([], true);'
got=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["type"], d["php-ext"]["extension-name"], d["version"])' "$dist/php/composer.json")
expect "php: composer.json is a PIE package" "php-ext passgate $version" "$got"

echo
echo "test-dist: $((checks - failures)) of $checks checks passed"
[ "$failures" -eq 0 ]
