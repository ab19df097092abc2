# frozen_string_literal: true

require "json"
require "open3"
require "rbconfig"
require "tmpdir"
require_relative "test_helper"

# The Railtie builds the verifier at boot when config.eager_load is true, so a
# bad setting fails the boot; with eager_load false it waits for first use.
# Each case boots rails_boot/app.rb in its own Ruby process.
class RailsBootTest < Minitest::Test
  LIB = File.expand_path("../lib", __dir__)
  APP = File.expand_path("rails_boot/app.rb", __dir__)
  MISSING_KEY = { environment: "production" }.freeze # no app_key anywhere: Passgate::ConfigError
  GOOD = { mode: "test", environment: "test" }.freeze

  # [stdout's JSON or nil, stderr, exit status] of one boot.
  def boot(eager_load:, config:)
    Dir.mktmpdir do |root|
      # Only the settings given here: none of the caller's PASSGATE_* / CAPTCHALA_*.
      env = ENV.keys.grep(/\A(PASSGATE|CAPTCHALA)_/).to_h { |name| [name, nil] }
      env.update("EAGER_LOAD" => eager_load ? "1" : "0", "PASSGATE_CONFIG" => JSON.generate(config), "APP_ROOT" => root)
      out, err, status = Open3.capture3(env, RbConfig.ruby, "-I", LIB, APP, chdir: root)
      [out.empty? ? nil : JSON.parse(out.lines.last), err, status]
    end
  end

  # The boots run at once (each is a second or so of loading Rails).
  def boots(cases)
    cases.map { |args| Thread.new { boot(**args) } }.map(&:value)
  end

  def test_eager_load_builds_the_verifier_at_boot_and_lazy_load_on_first_use
    eager_bad, lazy_bad, eager_good, lazy_good = boots(
      [{ eager_load: true, config: MISSING_KEY }, { eager_load: false, config: MISSING_KEY },
       { eager_load: true, config: GOOD }, { eager_load: false, config: GOOD }]
    )
    eager_bad_state, eager_bad_err, eager_bad_status = eager_bad
    refute eager_bad_status.success?, "a bad setting fails an eager-loading boot"
    assert_nil eager_bad_state
    assert_match(/app_key: is required \(Passgate::ConfigError\)/, eager_bad_err)

    lazy_bad_state, lazy_bad_err, lazy_bad_status = lazy_bad
    assert lazy_bad_status.success?, lazy_bad_err
    assert_equal({ "built_at_boot" => 0, "first_use" => "Passgate::ConfigError",
                   "message" => "passgate config: app_key: is required", "built" => 0 }, lazy_bad_state)

    eager_good_state, eager_good_err, eager_good_status = eager_good
    assert eager_good_status.success?, eager_good_err
    assert_equal({ "built_at_boot" => 1, "first_use" => "built", "built" => 1 }, eager_good_state)

    lazy_good_state, lazy_good_err, lazy_good_status = lazy_good
    assert lazy_good_status.success?, lazy_good_err
    assert_equal({ "built_at_boot" => 0, "first_use" => "built", "built" => 1 }, lazy_good_state)
  end
end
