# frozen_string_literal: true

# Puts a self-contained copy of the core (workspace settings resolved by
# `cargo package`) at ruby/vendor/passgate-core, so that the gem carries
# everything its extension needs. Used by the gemspec and `make ruby-vendor`.

require "fileutils"
require "tmpdir"

module PassgateVendor
  RUBY_DIR = File.expand_path("..", __dir__)
  REPO = File.expand_path("..", RUBY_DIR)
  DEST = File.join(RUBY_DIR, "vendor", "passgate-core")

  def self.available?
    File.exist?(File.join(REPO, "core", "Cargo.toml"))
  end

  def self.run!
    cargo = ENV.fetch("CARGO", "cargo")
    system(cargo, "package", "-q", "-p", "passgate-core", "--no-verify", "--allow-dirty", chdir: REPO) ||
      abort("passgate: `cargo package -p passgate-core` failed")
    crate = Dir[File.join(REPO, "target", "package", "passgate-core-*.crate")].max_by { |path| File.mtime(path) }
    Dir.mktmpdir do |tmp|
      system("tar", "xzf", crate, "-C", tmp) || abort("passgate: could not unpack #{crate}")
      FileUtils.rm_rf(DEST)
      FileUtils.mkdir_p(File.dirname(DEST))
      FileUtils.mv(Dir[File.join(tmp, "passgate-core-*")].first, DEST)
    end
    # `cargo package` stamps every file with one fixed old time; cargo would
    # then take a changed core for the one it already built at this path.
    FileUtils.touch(Dir[File.join(DEST, "**", "*")].select { |path| File.file?(path) })
  end
end

PassgateVendor.run! if $PROGRAM_NAME == __FILE__
