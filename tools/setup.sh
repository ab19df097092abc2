#!/usr/bin/env bash
# What `make demo` and `make test` need from the system, checked before they
# build anything: the Debian packages below (installed with apt-get when run
# as root; otherwise the one command to run is printed and make stops) and a
# Rust toolchain. PyPI and npm packages are the Makefile's business.
set -euo pipefail

# Build tools; Ruby with Rails 6.1, Puma, rack-test and Sinatra; PHP 8.2 with
# its headers (bindgen needs clang), PHP-FPM, a FastCGI client, PHPUnit and
# Laravel's HTTP components; redis-server (tests start their own on a free
# loopback port); Chromium and its driver for the browser suite; gettext
# (msgfmt) to compile the Django translation test catalog; Symfony 5.4's
# FrameworkBundle, TwigBundle, Form and Validator and Composer (offline: it
# installs the Laravel package and the Symfony bundle from path repositories).
packages=(make gcc clang libclang-dev ruby-dev ruby-rails puma ruby-rack-test ruby-minitest ruby-sinatra
          php-dev php-cli php-fpm phpunit php-laravel-framework libfcgi-bin redis-server
          chromium chromium-driver gettext
          php-symfony-framework-bundle php-symfony-twig-bundle php-symfony-twig-bridge php-symfony-form
          php-symfony-validator composer)
# `tools/setup.sh bench` (make bench): the nginx upstream, wrk, perf, and the
# peers users run today from Debian (google/recaptcha needs ext-curl).
if [ "${1:-}" = bench ]; then
  packages+=(nginx-light wrk linux-perf php-curl php-google-recaptcha ruby-recaptcha)
fi
# Node and a Python that can make venvs may come with the machine; else Debian's.
command -v node >/dev/null || packages+=(nodejs npm)
"${PYTHON:-python3}" -c 'import ensurepip' 2>/dev/null || packages+=(python3-venv)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages. Run this, then make again:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
fi
if ! command -v "${CARGO:-cargo}" >/dev/null; then
  echo "setup: no Rust toolchain. Install one (https://rustup.rs), then make again:" >&2
  echo "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh" >&2
  exit 2
fi
