# frozen_string_literal: true

require "fileutils"
require "logger"
require "open3"
require "rbconfig"
require "socket"
require "timeout"
require "tmpdir"
require_relative "test_helper"

# Passgate.doctor, the passgate-doctor executable and rake passgate:doctor
# against the emulator: a working set-up, a wrong secret, where each setting
# came from, and never a secret in the report.
class DoctorTest < Minitest::Test
  EMULATOR = Emulator.new
  LIB = File.expand_path("../lib", __dir__)
  EXE = File.expand_path("../exe/passgate-doctor", __dir__)
  RAILS_APP = File.expand_path("rails_doctor", __dir__)
  SECRET = "doctor-secret-never-printed"
  CHECKS = %w[configuration connection keys clock replay_store].freeze

  def options(**overrides)
    EMULATOR.options(environment: "development", **overrides)
  end

  # The environment of a child process: none of ours PASSGATE_* or
  # CAPTCHALA_*, then env.
  def child_env(env)
    ENV.keys.grep(/\A(PASSGATE|CAPTCHALA)_/).to_h { |name| [name, nil] }.merge(env)
  end

  def emulator_env(secret: APP_SECRET)
    { "CAPTCHALA_APP_KEY" => APP_KEY, "CAPTCHALA_APP_SECRET" => secret, "PASSGATE_API_BASE" => EMULATOR.url,
      "PASSGATE_BACKUP_API_BASE" => EMULATOR.url, "PASSGATE_ENVIRONMENT" => "development" }
  end

  def test_a_working_set_up_passes_every_check
    report = Passgate.doctor(**options)
    assert report.ok?, report.text
    assert_instance_of Passgate::DoctorReport, report
    assert_equal CHECKS, report.checks.map(&:name)
    report.checks.each { |check| assert check.pass?, check.to_h.inspect }
    assert_equal report.text, report.to_s
    assert_equal 5, report.text.scan("✓").size, report.text
    assert_includes report.text, "0 failed"
    assert_match(/provider captchala, environment "development"/, report["configuration"].summary)

    hash = report.to_h
    assert_equal true, hash["ok"]
    assert_equal CHECKS, hash["checks"].map { |check| check["name"] }
    assert_equal %w[advice details name status summary], hash["checks"].first.keys.sort
    assert_equal({ "name" => "app_key", "value" => "\"#{APP_KEY}\"  [argument]" },
                 hash["checks"].first["details"].find { |detail| detail["name"] == "app_key" })
    assert_equal hash, JSON.parse(report.to_json)
  end

  def test_a_wrong_secret_fails_the_keys_check_and_is_never_printed
    report = Passgate.doctor(**options(app_secret: SECRET))
    refute report.ok?
    keys = report["keys"]
    assert keys.fail?, keys.to_h.inspect
    assert_match(/invalid_app_secret/, keys.summary)
    refute_nil keys.advice
    assert report["connection"].pass?
    assert_equal "******** (set)  [argument]", report["configuration"].details["app_secret"]
    assert_match(/1 failed/, report.text)
    assert_match(/failed=\["keys"\]/, report.inspect)
    [report.text, report.to_h.to_s, report.to_json, report.inspect].each do |printed|
      refute_includes printed, SECRET
      refute_includes printed, "passgate-doctor-probe"
    end
  end

  def test_source_labels_argument_environment_and_given_sources
    saved = ENV.to_h
    ENV["CAPTCHALA_APP_SECRET"] = APP_SECRET
    report = Passgate::DoctorReport.run(options(app_secret: nil).compact, { api_base: "config.passgate" })
    assert report.ok?, report.text
    details = report["configuration"].details
    assert_equal "\"#{APP_KEY}\"  [argument]", details["app_key"]
    assert_equal "******** (set)  [environment CAPTCHALA_APP_SECRET]", details["app_secret"]
    assert_equal "#{EMULATOR.url}  [config.passgate]", details["api_base"]
    assert_match(/\(default\)\z/, details["replay_store"])
  ensure
    ENV.replace(saved)
  end

  def test_bad_arguments_raise_config_errors_naming_them
    error = assert_raises(Passgate::ConfigError) { Passgate.doctor(**options(timeout_ms: "soon")) }
    assert_match(/: timeout_ms:/, error.message)
    error = assert_raises(Passgate::ConfigError) { Passgate::DoctorReport.run(options, { api_key: "config.passgate" }) }
    assert_match(/: api_key:/, error.message)
    # A setting the core refuses is a failed check, not an exception.
    report = Passgate.doctor(**options(api_base: "not a url"))
    refute report.ok?
    assert report["configuration"].fail?
    assert_match(/api_base/, report["configuration"].summary)
    assert report.checks.drop(1).all?(&:skip?)
  end

  def test_verifier_only_options_are_accepted
    assert Passgate.doctor(**options(logger: Logger.new(nil), on_outcome: ->(_) {})).ok?
  end

  # The network checks wait without the GVL, and an interrupt ends the wait
  # at once: here the API accepts the connection and never answers.
  def test_other_threads_run_and_interrupts_land_while_the_doctor_waits
    silent = TCPServer.new("127.0.0.1", 0)
    api = "http://127.0.0.1:#{silent.addr[1]}"
    worker = Thread.new do
      Thread.current.report_on_exception = false
      Passgate.doctor(**options(api_base: api, backup_api_base: api, timeout_ms: 20_000))
    end
    # This thread runs Ruby while the doctor is inside its connection check.
    connection = Timeout.timeout(10) { silent.accept }
    raised = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    worker.raise(ArgumentError, "stop waiting")
    assert_raises(ArgumentError) { worker.join }
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - raised, :<, 1.0
    assert Passgate.doctor(**options).ok?
  ensure
    connection&.close
    silent&.close
  end

  def test_the_executable_exits_0_1_and_2_and_prints_json
    out, err, status = Open3.capture3(child_env(emulator_env), RbConfig.ruby, "-I", LIB, EXE)
    assert_equal 0, status.exitstatus, out + err
    assert_includes out, "0 failed"
    assert_includes out, "[environment CAPTCHALA_APP_SECRET]"

    out, err, status = Open3.capture3(child_env(emulator_env(secret: SECRET)), RbConfig.ruby, "-I", LIB, EXE, "--json")
    assert_equal 1, status.exitstatus, out + err
    report = JSON.parse(out)
    assert_equal false, report["ok"]
    assert_equal "fail", report["checks"].find { |check| check["name"] == "keys" }["status"]
    refute_includes out + err, SECRET

    out, err, status = Open3.capture3(child_env({}), RbConfig.ruby, "-I", LIB, EXE, "--no-such-flag")
    assert_equal 2, status.exitstatus
    assert_empty out
    assert_match(/unknown argument "--no-such-flag".*usage: passgate-doctor/m, err)
  end

  # The installed gem (make ruby: gem build, gem install) has the executable
  # and RubyGems' wrapper for it.
  def test_the_installed_gem_ships_the_executable
    spec = Gem::Specification.find_by_name("passgate")
    assert_equal ["passgate-doctor"], spec.executables
    assert_includes spec.files, "#{spec.bindir}/passgate-doctor"
    wrapper = File.join(Gem.bindir, "passgate-doctor")
    out, err, status = Open3.capture3(child_env({}), RbConfig.ruby, wrapper, "--help")
    assert status.success?, err
    assert_match(/\Ausage: passgate-doctor \[--json\]/, out)
  end

  # rake passgate:doctor in a Rails app: config.passgate and the credentials,
  # labelled as such. Returns [stdout, stderr, status].
  def rake_doctor(config:, credentials: nil, args: "")
    Dir.mktmpdir do |root|
      FileUtils.cp_r("#{RAILS_APP}/.", root)
      env = child_env("PASSGATE_CONFIG" => JSON.generate(config), "CREDENTIALS_JSON" => credentials&.then { JSON.generate(_1) })
      Open3.capture3(env, RbConfig.ruby, "-I", LIB, "-S", "rake", "passgate:doctor#{args}", chdir: root)
    end
  end

  def test_rake_task_reads_config_passgate_and_credentials
    config = { api_base: EMULATOR.url, backup_api_base: EMULATOR.url, environment: "development" }
    credentials = { captchala: { app_key: APP_KEY, app_secret: APP_SECRET } }
    out, err, status = rake_doctor(config: config, credentials: credentials)
    assert_equal 0, status.exitstatus, out + err
    assert_includes out, "#{EMULATOR.url}  [config.passgate]"
    assert_includes out, "******** (set)  [credentials captchala.app_secret]"
    assert_includes out, "0 failed"

    out, err, status = rake_doctor(config: config.merge(app_key: APP_KEY, app_secret: SECRET), args: "[json]")
    assert_equal 1, status.exitstatus, out + err
    report = JSON.parse(out)
    assert_equal "fail", report["checks"].find { |check| check["name"] == "keys" }["status"]
    app_secret = report["checks"].first["details"].find { |detail| detail["name"] == "app_secret" }
    assert_equal "******** (set)  [config.passgate]", app_secret["value"]
    refute_includes out + err, SECRET
  end
end
