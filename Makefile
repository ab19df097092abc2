# passgate — the two commands: `make demo` and `make test`.
CARGO ?= cargo
PYTHON ?= python3
export CARGO_TERM_COLOR ?= never

VENV := .venv
VENV_PY := $(VENV)/bin/python
PASSGATE_BIN := target/debug/passgate
# Release builds of the extensions share one target dir of their own, so that
# they and `cargo test` (debug, target/) do not rebuild each other's deps.
EXT_TARGET := target/ext

PHP_SO := target/php/passgate.so
PHP_RUN := php -d extension=$(CURDIR)/$(PHP_SO)
RUBY_GEM_HOME := target/ruby-gems
RUBY_EXT := ruby/ext/passgate

# What each extension is built from: it is rebuilt (and reinstalled) only when
# one of these changed, so a second `make demo` builds nothing.
CORE_SRC := Cargo.toml Cargo.lock $(shell find core/src -type f)
PYTHON_SRC := $(CORE_SRC) python/Cargo.toml python/pyproject.toml python/README.md \
	$(shell find python/src python/passgate -type f ! -name '*.pyc')
NODE_SRC := $(CORE_SRC) node/Cargo.toml node/build.rs $(shell find node/src -type f)
RUBY_SRC := $(CORE_SRC) ruby/passgate.gemspec ruby/tools/vendor_core.rb \
	$(shell find $(RUBY_EXT)/src ruby/lib ruby/exe -type f) $(RUBY_EXT)/Cargo.toml $(RUBY_EXT)/Cargo.lock $(RUBY_EXT)/extconf.rb
PHP_SRC := $(CORE_SRC) php-ext/Cargo.toml $(shell find php-ext/src -type f)

.PHONY: setup bench-setup dist test-dist demo demo-rust demo-python demo-node demo-ruby demo-php test test-rust test-python test-node test-ruby test-php test-cross test-browser lint bench fuzz build python node ruby ruby-vendor php cli clean

## Walk through the main failure modes against a local emulator: in Rust
## first (needs only cargo), then through the Python, Node, Ruby and PHP bindings.
demo: demo-rust demo-python demo-node demo-ruby demo-php

demo-rust: cli
	$(PASSGATE_BIN) demo

demo-python: cli python
	@echo
	$(VENV_PY) python/examples/demo.py $(PASSGATE_BIN)

demo-node: cli node
	@echo
	node node/examples/demo.js $(PASSGATE_BIN)

demo-ruby: cli ruby
	@echo
	GEM_HOME=$(CURDIR)/$(RUBY_GEM_HOME) ruby ruby/examples/demo.rb $(PASSGATE_BIN)

demo-php: cli php
	@echo
	$(PHP_RUN) php-ext/examples/demo.php $(PASSGATE_BIN)

## Every test suite; each runner prints its own summary line.
test: setup test-rust test-python test-node test-ruby test-php test-cross test-browser

test-rust:
	$(CARGO) test -p passgate-core -p passgate-cli

test-python: cli python
	PASSGATE_BIN=$(CURDIR)/$(PASSGATE_BIN) PATH=$(CURDIR)/$(VENV)/bin:$$PATH \
		$(VENV_PY) -m pytest python/tests -q -p no:cacheprovider

test-node: cli node
	cd node && PASSGATE_BIN=$(CURDIR)/$(PASSGATE_BIN) node --test --test-concurrency=1 test/*.test.js

test-ruby: cli ruby
	cd ruby && GEM_HOME=$(CURDIR)/$(RUBY_GEM_HOME) PASSGATE_BIN=$(CURDIR)/$(PASSGATE_BIN) \
		ruby -Itest -e 'Dir["test/*_test.rb"].sort.each { |f| require File.expand_path(f) }'

test-php: cli php
	cd php-ext && PASSGATE_BIN=$(CURDIR)/$(PASSGATE_BIN) PASSGATE_PHP_EXTENSION=$(CURDIR)/$(PHP_SO) \
		$(PHP_RUN) /usr/bin/phpunit --do-not-cache-result --bootstrap tests/bootstrap.php tests

## Headless Chromium walks each framework's example comment form (Django,
## Flask, Express, Rails, PHP) under a strict CSP; screenshots in target/browser.
test-browser: cli python node ruby php
	PASSGATE_BIN=$(CURDIR)/$(PASSGATE_BIN) PASSGATE_PHP_EXTENSION=$(CURDIR)/$(PHP_SO) \
		PASSGATE_PYTHON=$(CURDIR)/$(VENV_PY) GEM_HOME=$(CURDIR)/$(RUBY_GEM_HOME) \
		$(VENV_PY) -m pytest tests/browser -q -p no:cacheprovider

## One Redis, one emulator, and Python, Node, Ruby and PHP processes racing
## on the same tokens: one pass per token in total.
test-cross: cli python node ruby php
	PASSGATE_BIN=$(CURDIR)/$(PASSGATE_BIN) PASSGATE_PHP_EXTENSION=$(CURDIR)/$(PHP_SO) \
		GEM_HOME=$(CURDIR)/$(RUBY_GEM_HOME) PATH=$(CURDIR)/$(VENV)/bin:$$PATH \
		$(VENV_PY) -m pytest tests/cross -q -p no:cacheprovider

## The system packages and toolchain the two commands need (tools/setup.sh:
## installs them as root, else prints the command to run).
setup:
	@bash tools/setup.sh

cli: setup
	$(CARGO) build -p passgate-cli

## The PHP extension: target/php/passgate.so (load it with extension=/abs/path/passgate.so).
php: setup $(PHP_SO)

$(PHP_SO): $(PHP_SRC)
	CARGO_TARGET_DIR=$(CURDIR)/$(EXT_TARGET) $(CARGO) build --release -p passgate-php
	mkdir -p target/php
	cp $(EXT_TARGET)/release/libpassgate.so $(PHP_SO)

## The gem: `gem build` (which vendors the core into it), then
## `gem install --local` into a fresh GEM_HOME (target/ruby-gems), as a user would.
ruby: setup $(RUBY_GEM_HOME)/.installed

$(RUBY_GEM_HOME)/.installed: $(RUBY_SRC)
	cd ruby && gem build -q passgate.gemspec -o $(CURDIR)/target/passgate.gem
	rm -rf $(RUBY_GEM_HOME)
	GEM_HOME=$(CURDIR)/$(RUBY_GEM_HOME) CARGO_TARGET_DIR=$(CURDIR)/$(EXT_TARGET) \
		gem install --local --no-document $(CURDIR)/target/passgate.gem
	touch $@

## A self-contained copy of the core (workspace settings resolved) for the gem.
ruby-vendor:
	ruby ruby/tools/vendor_core.rb

## The Node addon (node/passgate.node) and the package's dev dependencies.
node: setup node/node_modules/.installed node/passgate.node

node/node_modules/.installed: node/package.json node/package-lock.json
	cd node && npm install --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

node/passgate.node: $(NODE_SRC)
	cd node && CARGO_TARGET_DIR=$(CURDIR)/$(EXT_TARGET) node scripts/build.js --force

## The Python package, built by maturin and installed into ./.venv.
python: setup $(VENV)/.installed

$(VENV)/.installed: $(VENV)/.deps $(PYTHON_SRC)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH CARGO_TARGET_DIR=$(CURDIR)/$(EXT_TARGET) \
		$(VENV_PY) -m pip install -q --no-build-isolation --force-reinstall --no-deps ./python
	touch $@

$(VENV)/.deps: python/requirements-dev.txt
	test -x $(VENV_PY) || $(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install -q --upgrade pip
	$(VENV_PY) -m pip install -q -r python/requirements-dev.txt
	touch $@

## Built packages for linux x86_64 in dist/ (tools/dist.sh): the wheel and
## sdist, the npm packages, the platform and source gems, the PIE package with
## a prebuilt extension, the passgate binary; a .sha256 beside each.
dist: setup $(VENV)/.deps node ruby-vendor php
	bash tools/dist.sh

## Each built package installed as its users would, where no Rust toolchain
## can be found, validating a token against the packaged emulator.
test-dist: dist
	bash tests/dist/run.sh

## Formatting and lints, as CI checks them.
lint: setup ruby-vendor
	rustup component add rustfmt clippy >/dev/null 2>&1 || true
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --manifest-path $(RUBY_EXT)/Cargo.toml -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	CARGO_TARGET_DIR=$(CURDIR)/$(EXT_TARGET) $(CARGO) clippy --manifest-path $(RUBY_EXT)/Cargo.toml -- -D warnings

## Benchmarks (release builds): the core's local checks and validations/s vs.
## a client-per-call baseline; then through every binding against an nginx
## upstream over TLS, next to wrk, plain clients and the peers of each
## language (bench/run.py). Medians, and ratios from the same run.
bench: bench-setup python node ruby php
	$(CARGO) bench -p passgate-cli --bench passgate
	$(VENV_PY) bench/run.py

bench-setup: setup
	@bash tools/setup.sh bench
	$(VENV_PY) -m pip install -q -r bench/requirements.txt
	cd bench/node && npm ci --no-audit --no-fund --loglevel=error

## Fuzz the parsers of untrusted input (nightly toolchain, cargo-fuzz):
## each target for FUZZ_RUNS executions; corpus and crashes stay in fuzz/.
FUZZ_RUNS ?= 10000000
FUZZ_TARGETS := validate_answer issue_answer token_inspect siteverify_answer
fuzz:
	cd fuzz && for target in $(FUZZ_TARGETS); do \
		$(CARGO) +nightly fuzz run $$target -- -runs=$(FUZZ_RUNS) -max_len=4096 -print_final_stats=1 || exit 1; \
	done

build:
	$(CARGO) build --workspace

clean:
	$(CARGO) clean
	rm -rf $(VENV) node/node_modules node/passgate.node ruby/vendor
