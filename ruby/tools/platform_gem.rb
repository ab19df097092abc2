# frozen_string_literal: true

# Builds the platform gem, passgate-<version>-x86_64-linux.gem: the source
# gem's Ruby files plus a compiled extension for this Ruby's ABI under
# lib/passgate/<major.minor>/, and nothing to compile at install time.
#
#   ruby ruby/tools/platform_gem.rb path/to/libpassgate_native.so OUT_DIR

require "fileutils"
require "rubygems/package"
require "tmpdir"

library, out_dir = ARGV
abort "usage: platform_gem.rb LIBRARY OUT_DIR" unless library && out_dir && File.file?(library)

gem_root = File.expand_path("..", __dir__)
abi = RUBY_VERSION[/\A\d+\.\d+/]
spec = Dir.chdir(gem_root) { Gem::Specification.load("passgate.gemspec") }
native = "lib/passgate/#{abi}/passgate_native.#{RbConfig::CONFIG["DLEXT"]}"

Dir.mktmpdir("passgate-platform-gem") do |stage|
  # The executables too: the spec lists them, and a gem missing one is invalid.
  executables = spec.executables.map { |name| File.join(spec.bindir, name) }
  ruby_files = Dir.chdir(gem_root) { Dir["lib/**/*.rb"] } + executables + ["README.md"]
  ruby_files.each do |file|
    FileUtils.mkdir_p(File.join(stage, File.dirname(file)))
    FileUtils.cp(File.join(gem_root, file), File.join(stage, file))
  end
  FileUtils.mkdir_p(File.join(stage, File.dirname(native)))
  FileUtils.cp(library, File.join(stage, native))

  spec.platform = Gem::Platform.new("x86_64-linux")
  spec.extensions = []
  spec.files = ruby_files + [native]
  # The extension is built against this Ruby's ABI only.
  spec.required_ruby_version = "~> #{abi}.0"
  built = Dir.chdir(stage) { Gem::Package.build(spec) }
  FileUtils.mkdir_p(out_dir)
  FileUtils.mv(File.join(stage, built), File.join(out_dir, built))
  puts File.join(out_dir, built)
end
