# frozen_string_literal: true

require "rack/test"
require "rack/builder"
require_relative "test_helper"

# Passgate::Rack in front of a plain Rack app, through rack-test.
class RackMiddlewareTest < Minitest::Test
  include Rack::Test::Methods

  EMULATOR = Emulator.new
  RAN = []

  def app
    verifier = Passgate::Verifier.new(**EMULATOR.options)
    store_down = Passgate::Verifier.new(**EMULATOR.options(replay_store: dead_redis_url, store_timeout_ms: 300))
    turnstile = Passgate::Verifier.new(provider: "turnstile", secret_key: "test-secret-key", api_base: EMULATOR.url,
                                       environment: "test", expected_hostnames: ["localhost"])
    form = lambda do |env, outcome|
      params = Rack::Request.new(env).POST
      [outcome.http_status, { "content-type" => "text/html" },
       ["<p>#{outcome.message}</p><input name=\"email\" value=\"#{params["email"]}\">"]]
    end
    Rack::Builder.new do
      use Passgate::Rack, verifier: verifier, paths: { "/login" => "login" }
      use Passgate::Rack, verifier: verifier, paths: ["/signup"], on_failure: form
      use Passgate::Rack, verifier: store_down, paths: { "/login-redis" => "login" }
      use Passgate::Rack, verifier: turnstile, paths: { "/comment" => "comment" }
      run lambda { |env|
        RAN << env["PATH_INFO"]
        outcome = env["passgate.outcome"]
        [200, { "content-type" => "application/json" },
         [JSON.generate(done: true, code: outcome&.code, client_ip: outcome&.log_fields&.fetch("client_ip"))]]
      }
    end
  end

  def setup
    RAN.clear
  end

  def test_pass_calls_the_app_with_the_outcome
    EMULATOR.script("pt_rack_ok", action: "login")
    post "/login", { captchala_token: "pt_rack_ok" }, "REMOTE_ADDR" => "198.51.100.4"
    assert_equal 200, last_response.status
    body = JSON.parse(last_response.body)
    assert_equal ["passed", "198.51.100.4"], [body["code"], body["client_ip"]]
    assert_equal ["/login"], RAN
  end

  def test_turnstile_reads_cf_turnstile_response
    EMULATOR.script("ts_rack_comment", action: "comment")
    EMULATOR.script("ts_rack_other_field", action: "comment")
    calls = EMULATOR.stats["siteverify_calls"]
    post "/comment", { "cf-turnstile-response" => "ts_rack_comment" }, "REMOTE_ADDR" => "198.51.100.4"
    assert_equal 200, last_response.status
    assert_equal ["passed", "198.51.100.4"], JSON.parse(last_response.body).values_at("code", "client_ip")
    post "/comment", { captchala_token: "ts_rack_other_field" }, "HTTP_ACCEPT" => "application/json"
    assert_equal 400, last_response.status
    assert_equal "missing_token", JSON.parse(last_response.body)["error"]
    assert_equal ["/comment"], RAN
    assert_equal calls + 1, EMULATOR.stats["siteverify_calls"]
  end

  def test_failures_answer_and_skip_the_app
    [[nil, nil, 400, "missing_token"], [{ action: "pay" }, "pt_rack_pay", 400, "action_mismatch"],
     [{ error: "token_consumed" }, "pt_rack_used", 409, "replayed"], [{ http_status: 429 }, "pt_rack_429", 429, "rate_limited"],
     [{ error: "token_ip_mismatch" }, "pt_rack_ip", 403, "ip_mismatch"], [{ error: "invalid_token" }, "pt_rack_bad", 400, "rejected"],
     [{ http_status: 503 }, "pt_rack_503", 503, "upstream_unavailable"], [nil, "dg_rack", 503, "degraded"],
     [nil, "pt_rack_store", 503, "store_unavailable", "/login-redis"]].each do |script, token, status, code, path|
      EMULATOR.script(token, **script) if script
      validate_calls = EMULATOR.stats["validate_calls"]
      post path || "/login", token ? { captchala_token: token } : {}, "HTTP_ACCEPT" => "application/json"
      assert_equal status, last_response.status, code
      assert_equal code, JSON.parse(last_response.body)["error"]
      assert_equal validate_calls, EMULATOR.stats["validate_calls"], "#{code}: upstream called" if path
      assert_empty RAN, code
    end
    post "/login", {}, "HTTP_ACCEPT" => "text/html"
    assert_includes last_response.body, "Please complete the captcha."
    assert_empty RAN
  end

  def test_json_body_get_and_unprotected_paths
    EMULATOR.script("pt_rack_json", action: "login")
    post "/login", JSON.generate(captchala_token: "pt_rack_json"), "CONTENT_TYPE" => "application/json"
    assert_equal 200, last_response.status
    get "/login"
    assert_equal 200, last_response.status
    post "/elsewhere"
    assert_equal 200, last_response.status
    assert_equal ["/login", "/login", "/elsewhere"], RAN
  end

  # Only a String is a token: arrays, hashes and numbers from a form or a
  # JSON body are "no token" (400), never a server error.
  def test_a_token_that_is_not_a_string_is_missing_token
    form = "application/x-www-form-urlencoded"
    [["captchala_token[]=pt_rack_array", form], ["captchala_token[x]=pt_rack_hash", form],
     ["captchala_token[]=a&captchala_token[x]=b", form], ['{"captchala_token": ["pt_rack_array"]}', "application/json"],
     ['{"captchala_token": {"a": 1}}', "application/json"], ['{"captchala_token": 7}', "application/json"]].each do |body, type|
      post "/login", body, "CONTENT_TYPE" => type, "HTTP_ACCEPT" => "application/json"
      assert_equal 400, last_response.status, body
      assert_equal "missing_token", JSON.parse(last_response.body)["error"], body
      assert_empty RAN, body
    end
  end

  # Exactly GET, HEAD, OPTIONS and TRACE reach the app unverified; any other
  # method to a protected path is verified.
  def test_only_the_safe_methods_pass_unverified
    %w[GET HEAD OPTIONS TRACE].each do |method|
      request "/login", method: method
      assert_equal 200, last_response.status, method
      assert_equal({ "done" => true, "code" => nil, "client_ip" => nil }, JSON.parse(last_response.body), method)
    end
    assert_equal ["/login"] * 4, RAN
    RAN.clear
    %w[POST PUT PATCH DELETE PROPFIND].each do |method|
      request "/login", method: method, "HTTP_ACCEPT" => "application/json"
      assert_equal 400, last_response.status, method
      assert_equal "missing_token", JSON.parse(last_response.body)["error"], method
    end
    assert_empty RAN
  end

  def test_on_failure_keeps_form_data
    post "/signup", { email: "ann@example.com", captchala_token: "" }
    assert_equal 400, last_response.status
    assert_includes last_response.body, 'value="ann@example.com"'
    assert_empty RAN
  end
end
