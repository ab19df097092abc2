# frozen_string_literal: true

require "logger"
require "stringio"
require_relative "test_helper"

# The Ruby API: configuration, outcomes, logging, errors, bad input, secrets.
class ApiTest < Minitest::Test
  EMULATOR = Emulator.new
  SECRET = "sk_live_VERY_SECRET_value"
  RAW_TOKEN = "pt_RAW_TOKEN_must_not_leak"

  def verifier(**overrides)
    Passgate::Verifier.new(**EMULATOR.options(**overrides))
  end

  def test_validate_passes_with_every_attribute
    EMULATOR.script("pt_rb_attrs", action: "login", uid: "user-1", risk_score: 33, challenge_id: "ch_rb")
    outcome = verifier.validate("pt_rb_attrs", client_ip: "203.0.113.9", action: "login", uid: "user-1")
    assert outcome.ok?
    assert_equal ["passed", "passed", false, 200], [outcome.code, outcome.category, outcome.retryable?, outcome.http_status]
    assert_equal "Verification passed.", outcome.message
    assert_equal "Vérification réussie.", outcome.message_for("fr")
    assert_equal ["login", "user-1", 33, "ch_rb"], [outcome.action, outcome.uid, outcome.risk_score, outcome.challenge_id]
    assert_equal "203.0.113.9", outcome.captcha_args["user_ip"]
    assert_equal "203.0.113.9", outcome.log_fields["client_ip"]
    assert_equal Passgate::LOG_KEYS, outcome.log_fields.keys
  end

  def test_from_env
    saved = ENV.to_h
    ENV.update("CAPTCHALA_APP_KEY" => APP_KEY, "CAPTCHALA_APP_SECRET" => APP_SECRET,
               "PASSGATE_API_BASE" => EMULATOR.url, "PASSGATE_ENVIRONMENT" => "staging")
    outcome = Passgate::Verifier.from_env.validate("pt_rb_env")
    assert_equal "passed", outcome.code
    assert_equal "staging", outcome.log_fields["environment"]
  ensure
    ENV.replace(saved)
  end

  def test_config_errors_name_the_setting
    {
      { app_key: "k" } => "app_secret",
      { app_key: "k", app_secret: "s", api_base: "not a url" } => "api_base",
      { app_key: "k", app_secret: "s", mode: "test" } => "mode",
      { app_key: "k", app_secret: "s", timeout_ms: "soon" } => "timeout_ms",
      { app_key: "k", app_secret: "s", timeout_ms: 1.5 } => "timeout_ms",
      { app_key: "k", app_secret: "s", api_key: "x" } => "api_key",
    }.each do |options, setting|
      error = assert_raises(Passgate::ConfigError) { Passgate::Verifier.new(environment: "production", **options) }
      assert_match(/: #{setting}:/, error.message)
      assert_kind_of Passgate::Error, error
      assert_kind_of StandardError, error
    end
  end

  def test_logger_gets_one_line_per_validation
    io = StringIO.new
    v = verifier(logger: Logger.new(io))
    v.validate("pt_rb_logged")
    v.validate("pt_rb_logged")
    lines = io.string.lines
    assert_equal 2, lines.size
    assert_match(/INFO -- : passgate.validate outcome="passed" .*token_fingerprint="[0-9a-f]{16}"/, lines[0])
    assert_match(/WARN -- : passgate.validate outcome="replayed"/, lines[1])
    Passgate::LOG_KEYS.each { |key| assert_includes lines[0], key unless key == "event" }
  end

  def test_no_secret_or_raw_token_in_inspect_errors_or_logs
    io = StringIO.new
    wrong = verifier(app_secret: SECRET, logger: Logger.new(io))
    seen = [wrong.inspect, wrong.to_s, wrong.instance_variables.inspect]
    [RAW_TOKEN, "co_RAW_TOKEN", "sct_RAW_TOKEN", "pt_RAW_TOKEN with space"].each do |token|
      outcome = wrong.validate(token)
      seen.push(outcome.inspect, outcome.to_s, outcome.log_fields.inspect)
    end
    [{ app_key: "k", app_secret: "#{SECRET} space" }, { app_key: "k", app_secret: SECRET, api_base: "ftp://x" }].each do |bad|
      Passgate::Verifier.new(**bad)
    rescue Passgate::ConfigError => e
      seen.push(e.message, e.inspect)
    end
    begin
      wrong.issue_server_token("login")
    rescue Passgate::IssueError => e
      seen.push(e.message)
    end
    seen.push(io.string)
    printed = seen.join("\n")
    refute_includes printed, SECRET
    refute_includes printed, "RAW_TOKEN"
    assert_includes printed, "misconfigured"
  end

  def test_bad_token_types_and_values
    v = verifier
    [42, :pt_symbol, ["pt_x"], { token: "pt_x" }, 4.2].each do |bad|
      assert_raises(TypeError) { v.validate(bad) }
    end
    assert_raises(TypeError) { v.validate("pt_x", action: 7) }
    before = EMULATOR.stats["validate_calls"]
    { nil => "missing_token", "" => "missing_token", "x" * 1_000_000 => "malformed_token",
      "pt_nul\0byte" => "malformed_token", "pt_\xff\xfe".b => "malformed_token" }.each do |token, code|
      assert_equal code, v.validate(token).code
    end
    assert_equal before, EMULATOR.stats["validate_calls"]
  end

  def test_internal_error_and_the_process_lives_on
    v = Passgate::Verifier.new(mode: "test", environment: "test")
    error = assert_raises(Passgate::InternalError) { v.validate("pt_test_internal_error") }
    refute_includes error.message, "pt_test_internal_error"
    assert_kind_of Passgate::Error, error
    assert_equal "passed", v.validate("pt_test_passed").code
  end

  def test_issue_server_token
    token = verifier.issue_server_token("login", binding_ip: "203.0.113.9", ttl: 60, max_uses: 1, bind_uid: "u1")
    assert_match(/\Asct_/, token.server_token)
    assert_equal 60, token.expires_in
    error = assert_raises(Passgate::IssueError) { verifier(app_secret: "nope").issue_server_token("login") }
    assert_match(/misconfigured \(invalid_app_secret\)/, error.message)
  end

  def test_test_mode_every_code
    v = Passgate::Verifier.new(mode: "test", environment: "test")
    Passgate::OUTCOME_CODES.each do |code|
      outcome = v.validate("pt_test_#{code}")
      assert_equal code, outcome.code
      refute outcome.log_fields["upstream_called"]
    end
  end
end
