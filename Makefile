# passgate — the two commands: `make demo` and `make test`.
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: demo test test-rust lint bench build clean

## Build the CLI and walk through the main failure modes against a local emulator.
demo:
	$(CARGO) run --quiet -p passgate-cli --bin passgate -- demo

## Every test suite; each runner prints its own summary line.
test: test-rust

test-rust:
	$(CARGO) test --workspace

## Formatting and lints, as CI checks them.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## Benchmarks (release build): local-check cost and validations/s vs. a
## client-per-call baseline, medians and ratios from the same run.
bench:
	$(CARGO) bench -p passgate-cli --bench passgate

build:
	$(CARGO) build --workspace

clean:
	$(CARGO) clean
