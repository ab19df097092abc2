# frozen_string_literal: true

require "logger"
require "stringio"
require_relative "test_helper"

# reCAPTCHA, hCaptcha and Turnstile through the plain Ruby API.
class ProvidersTest < Minitest::Test
  EMULATOR = Emulator.new
  SECRET_KEY = "test-secret-key" # the emulator's siteverify secret
  WRONG_SECRET = "sk_siteverify_VERY_SECRET_value"
  FORM_FIELDS = {
    "captchala" => "captchala_token",
    "recaptcha" => "g-recaptcha-response",
    "hcaptcha" => "h-captcha-response",
    "turnstile" => "cf-turnstile-response",
  }.freeze

  def siteverify(provider, **options)
    Passgate::Verifier.new(provider: provider, secret_key: SECRET_KEY, api_base: EMULATOR.url, environment: "test",
                           timeout_ms: 2000, **options)
  end

  def test_recaptcha_score_below_min_score_is_score_too_low
    io = StringIO.new
    verifier = siteverify("recaptcha", min_score: 0.7, expected_hostnames: ["localhost"], logger: Logger.new(io))
    EMULATOR.script("rc_rb_api_low", score: 0.6, action: "login")
    EMULATOR.script("rc_rb_api_high", score: 0.9, action: "login")
    low = verifier.validate("rc_rb_api_low", action: "login")
    assert_equal [false, "score_too_low", "client", true, 403], [low.ok?, low.code, low.category, low.retryable?, low.http_status]
    assert_equal ["recaptcha", "localhost", 0.6, nil], [low.provider, low.hostname, low.score, low.cdata]
    assert_equal ["recaptcha", "localhost", 0.6], low.log_fields.values_at("provider", "hostname", "score")
    high = verifier.validate("rc_rb_api_high", action: "login")
    assert_equal [true, "passed", 0.9], [high.ok?, high.code, high.score]
    assert_match(/WARN .*outcome="score_too_low".* hostname="localhost" score=0\.6 /, io.string)
    assert_match(/INFO .*outcome="passed".* hostname="localhost" score=0\.9 /, io.string)
  end

  def test_turnstile_outcome_has_cdata_and_hostname_and_no_score
    io = StringIO.new
    verifier = siteverify("turnstile", expected_hostnames: ["localhost"], logger: Logger.new(io))
    EMULATOR.script("ts_rb_api_cdata", cdata: "session-42", action: "login")
    outcome = verifier.validate("ts_rb_api_cdata", action: "login")
    assert_equal [true, "passed"], [outcome.ok?, outcome.code]
    assert_equal ["turnstile", "localhost", nil, "session-42"], [outcome.provider, outcome.hostname, outcome.score, outcome.cdata]
    assert_equal ["localhost", nil, "opaque"], outcome.log_fields.values_at("hostname", "score", "token_type")
    refute outcome.log_fields.key?("cdata")
    assert_equal Passgate::LOG_KEYS, outcome.log_fields.keys
    assert_includes io.string, 'hostname="localhost" score=null'
    refute_includes io.string, "session-42"
  end

  def test_hcaptcha_risk_score_above_max_risk_score
    verifier = siteverify("hcaptcha", site_key: "test-site-key", max_risk_score: 0.5)
    EMULATOR.script("hc_rb_api_risky", score: 0.8)
    EMULATOR.script("hc_rb_api_calm", score: 0.2)
    risky = verifier.validate("hc_rb_api_risky")
    assert_equal ["score_too_low", 403, true, 0.8], [risky.code, risky.http_status, risky.retryable?, risky.score]
    calm = verifier.validate("hc_rb_api_calm")
    assert_equal ["passed", "hcaptcha", 0.2, 0.2], [calm.code, calm.provider, calm.score, calm.log_fields["score"]]
  end

  def test_hostname_not_expected_is_hostname_mismatch
    outcome = siteverify("turnstile", expected_hostnames: ["example.com"]).validate("ts_rb_api_elsewhere")
    assert_equal [false, "hostname_mismatch", "client", false, 403],
                 [outcome.ok?, outcome.code, outcome.category, outcome.retryable?, outcome.http_status]
    assert_equal ["localhost", "localhost"], [outcome.hostname, outcome.log_fields["hostname"]]
  end

  def test_provider_config_errors_name_the_setting
    [["turnstile", { expected_hostnames: [1, 2] }, "expected_hostnames"],
     ["turnstile", { expected_hostnames: { host: "localhost" } }, "expected_hostnames"],
     ["recaptcha", { min_score: "high" }, "min_score"],
     ["hcaptcha", { max_risk_score: "risky" }, "max_risk_score"],
     ["turnstile", { app_key: "test-app-key" }, "app_key"],
     ["turnstile", { min_score: 0.7 }, "min_score"],
     ["nocaptcha", {}, "provider"]].each do |provider, options, setting|
      error = assert_raises(Passgate::ConfigError, setting) { siteverify(provider, **options) }
      assert_match(/: #{setting}:/, error.message)
    end
  end

  def test_issue_server_token_is_captchala_only
    before = EMULATOR.stats["issue_calls"]
    error = assert_raises(Passgate::IssueError) { siteverify("turnstile").issue_server_token("login") }
    assert_includes error.message, "not supported by provider turnstile"
    assert_kind_of Passgate::Error, error
    assert_equal before, EMULATOR.stats["issue_calls"]
  end

  def test_provider_and_form_field
    FORM_FIELDS.each do |provider, field|
      verifier = provider == "captchala" ? Passgate::Verifier.new(**EMULATOR.options) : siteverify(provider)
      assert_equal [provider, field], [verifier.provider, verifier.form_field]
    end
  end

  def test_the_secret_key_is_in_no_printed_form
    printed = []
    %w[recaptcha hcaptcha turnstile].each do |provider|
      io = StringIO.new
      right = siteverify(provider, logger: Logger.new(io))
      wrong = siteverify(provider, secret_key: WRONG_SECRET, logger: Logger.new(io))
      [[right, "tok_rb_print_#{provider}"], [wrong, "tok_rb_print_wrong_#{provider}"]].each do |verifier, token|
        outcome = verifier.validate(token)
        printed << verifier.inspect << verifier.to_s << outcome.inspect << outcome.to_h.inspect
      end
      printed << io.string
    end
    text = printed.join("\n")
    assert_includes text, "misconfigured"
    assert_includes text, "passed"
    refute_includes text, SECRET_KEY
    refute_includes text, WRONG_SECRET
  end
end
