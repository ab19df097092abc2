# frozen_string_literal: true

# Builds the passgate_native extension with cargo; plain mkmf, no rb_sys gem.
# The gem carries the extension crate, its Cargo.lock and a copy of the core.

require "mkmf"
require "rbconfig"

cargo = ENV.fetch("CARGO", "cargo")
unless find_executable(cargo)
  abort "passgate: `cargo` was not found. The gem compiles a Rust extension: install Rust and try again."
end

here = File.expand_path(__dir__)
own_target = File.join(here, "target")
target_dir = ENV["CARGO_TARGET_DIR"] || own_target
profile = ENV["PASSGATE_RUBY_PROFILE"] == "debug" ? "debug" : "release"
library = File.join(target_dir, profile, RbConfig::CONFIG["host_os"].include?("darwin") ? "libpassgate_native.dylib" : "libpassgate_native.so")
dlext = RbConfig::CONFIG["DLEXT"]
# A target dir inside the installed gem would leave ~400 MB behind.
cleanup = target_dir == own_target ? "rm -rf '#{own_target}'" : "true"

File.write("Makefile", <<~MAKE)
  SHELL = /bin/sh
  sitearchdir = #{RbConfig::CONFIG["sitearchdir"]}

  all: passgate_native.#{dlext}

  passgate_native.#{dlext}:
  \tcd '#{here}' && CARGO_TARGET_DIR='#{target_dir}' '#{cargo}' build --locked #{profile == "release" ? "--release" : ""}
  \tcp '#{library}' passgate_native.#{dlext}

  install: all
  \tmkdir -p '$(sitearchdir)/passgate'
  \tcp passgate_native.#{dlext} '$(sitearchdir)/passgate/'
  \t#{cleanup}

  clean:
  \trm -f passgate_native.#{dlext}

  .PHONY: all install clean
MAKE
