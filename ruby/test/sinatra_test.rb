# frozen_string_literal: true

require "erb"
require "rack/test"
require_relative "test_helper"
require "passgate/sinatra"

# Passgate::Sinatra (register, settings, require_captcha!) through rack-test.
class SinatraExtensionTest < Minitest::Test
  include Rack::Test::Methods

  EMULATOR = Emulator.new
  RAN = []

  # A modular app with the verifier in its settings.
  class App < Sinatra::Base
    register Passgate::Sinatra
    set :passgate, Passgate::Verifier.new(**EMULATOR.options)
    set :show_exceptions, false
    set :raise_errors, true

    post "/login" do
      outcome = require_captcha!(action: "login")
      RAN << :login
      content_type :json
      JSON.generate(outcome_class: outcome.class.name, code: outcome.code, same: outcome.equal?(passgate_outcome),
                    client_ip: outcome.log_fields["client_ip"])
    end

    # In a filter, for every method: the safe ones pass unverified.
    before "/guarded" do
      require_captcha!(action: "guard")
    end

    %w[GET HEAD OPTIONS TRACE POST PUT PATCH DELETE PROPFIND].each do |verb|
      route(verb, "/guarded") do
        RAN << request.request_method
        content_type :json
        JSON.generate(verified: !passgate_outcome.nil?)
      end
    end

    post "/turnstile-field" do
      require_captcha!(field: "cf-turnstile-response")
      "ok"
    end
  end

  # Registered before `set :passgate`, on a subclass, classic-style names:
  # a value set before register is kept.
  class EarlySet < Sinatra::Base
    set :passgate, Passgate::Verifier.new(mode: "test", environment: "test")
    set :passgate_field, "my_token"
    register Passgate::Sinatra

    post("/") { require_captcha!.code }
  end

  # No verifier in the settings: built from the environment.
  class FromEnv < Sinatra::Base
    register Passgate::Sinatra
    set :raise_errors, true
    set :show_exceptions, false

    post("/") { require_captcha!.code }
  end

  # rack-test keeps the first app a test talks to: a test sets @app before
  # its first request.
  def app
    @app || App
  end

  def setup
    RAN.clear
  end

  def json
    JSON.parse(last_response.body)
  end

  def core_message(code, lang)
    Passgate::Verifier.new(mode: "test", environment: "test").validate("pt_test_#{code}").message_for(lang)
  end

  def test_pass_returns_the_outcome_with_ip_from_request_ip
    EMULATOR.script("pt_sinatra_ok", action: "login")
    post "/login", { captchala_token: "pt_sinatra_ok" }, "REMOTE_ADDR" => "198.51.100.4"
    assert_equal 200, last_response.status
    assert_equal({ "outcome_class" => "Passgate::Outcome", "code" => "passed", "same" => true,
                   "client_ip" => "198.51.100.4" }, json)
    assert_equal [:login], RAN
  end

  def test_json_body_token
    EMULATOR.script("pt_sinatra_json", action: "login")
    post "/login", JSON.generate(captchala_token: "pt_sinatra_json"), "CONTENT_TYPE" => "application/json"
    assert_equal 200, last_response.status
    assert_equal "passed", json["code"]
  end

  def test_failures_halt_with_the_status_and_json_without_running_the_route
    [[nil, nil, 400, "missing_token"], [{ action: "pay" }, "pt_sinatra_pay", 400, "action_mismatch"],
     [{ error: "token_consumed" }, "pt_sinatra_used", 409, "replayed"],
     [{ http_status: 429 }, "pt_sinatra_429", 429, "rate_limited"],
     [{ error: "token_ip_mismatch" }, "pt_sinatra_ip", 403, "ip_mismatch"],
     [nil, "dg_sinatra", 503, "degraded"]].each do |script, token, status, code|
      EMULATOR.script(token, **script) if script
      post "/login", token ? { captchala_token: token } : {}, "HTTP_ACCEPT" => "application/json"
      assert_equal status, last_response.status, code
      assert_equal "application/json", last_response.media_type, code
      assert_equal({ "error" => code, "message" => core_message(code, "en") }, json)
    end
    # The core's rule: an XMLHttpRequest or a JSON body also gets JSON.
    post "/login", {}, "HTTP_X_REQUESTED_WITH" => "XMLHttpRequest"
    assert_equal "missing_token", json["error"]
    post "/login", "{}", "CONTENT_TYPE" => "application/json"
    assert_equal "missing_token", json["error"]
    assert_empty RAN
  end

  def test_html_failure_is_the_core_page_in_the_request_language
    post "/login", { captchala_token: "" }, "HTTP_ACCEPT" => "text/html", "HTTP_ACCEPT_LANGUAGE" => "fr-FR,fr;q=0.9"
    assert_equal 400, last_response.status
    assert_equal "text/html", last_response.media_type
    assert_equal Passgate.failure_page(core_message("missing_token", "fr-FR"), "fr-FR"), last_response.body
    assert_includes last_response.body, ERB::Util.html_escape(core_message("missing_token", "fr"))
    refute_equal core_message("missing_token", "en"), core_message("missing_token", "fr")
    refute_includes last_response.body, "<script"
    post "/login", { captchala_token: "" }
    assert_includes last_response.body, ERB::Util.html_escape(core_message("missing_token", "en"))
    assert_empty RAN
  end

  # Only a String is a token.
  def test_a_token_that_is_not_a_string_is_missing_token
    form = "application/x-www-form-urlencoded"
    [["captchala_token[]=pt_sinatra_array", form], ["captchala_token[x]=pt_sinatra_hash", form],
     ['{"captchala_token": ["pt_sinatra_array"]}', "application/json"], ['{"captchala_token": 7}', "application/json"]]
      .each do |body, type|
      post "/login", body, "CONTENT_TYPE" => type, "HTTP_ACCEPT" => "application/json"
      assert_equal 400, last_response.status, body
      assert_equal "missing_token", json["error"], body
    end
    assert_empty RAN
  end

  # Exactly GET, HEAD, OPTIONS and TRACE pass unverified (require_captcha!
  # returns nil); any other method is verified.
  def test_only_the_safe_methods_pass_unverified
    assert_equal %w[GET HEAD OPTIONS TRACE], Passgate::SAFE_METHODS
    assert_predicate Passgate::SAFE_METHODS, :frozen?
    %w[GET HEAD OPTIONS TRACE].each do |method|
      request "/guarded", method: method
      assert_equal 200, last_response.status, method
      assert_equal({ "verified" => false }, json) unless method == "HEAD"
    end
    assert_equal %w[GET HEAD OPTIONS TRACE], RAN
    RAN.clear
    %w[POST PUT PATCH DELETE PROPFIND].each do |method|
      request "/guarded", method: method, "HTTP_ACCEPT" => "application/json"
      assert_equal 400, last_response.status, method
      assert_equal "missing_token", json["error"], method
    end
    assert_empty RAN
    EMULATOR.script("pt_sinatra_put", action: "guard")
    put "/guarded", { captchala_token: "pt_sinatra_put" }
    assert_equal({ "verified" => true }, json)
    assert_equal ["PUT"], RAN
  end

  # request.ip: X-Forwarded-For only past a proxy Rack::Request.ip_filter
  # trusts, and then its right-most untrusted entry (not one the client wrote).
  def test_client_ip_honours_rack_trusted_proxies
    forwarded = lambda do |token, remote_addr|
      EMULATOR.script(token, action: "login")
      post "/login", { captchala_token: token }, "REMOTE_ADDR" => remote_addr,
                                                 "HTTP_X_FORWARDED_FOR" => "198.51.100.66, 198.51.100.9"
      assert_equal "passed", json["code"], token
      json["client_ip"]
    end
    assert_equal "198.51.100.9", forwarded.call("pt_sinatra_xff_local", "127.0.0.1")
    assert_equal "203.0.113.5", forwarded.call("pt_sinatra_xff_untrusted", "203.0.113.5")
    default_filter = Rack::Request.ip_filter
    Rack::Request.ip_filter = ->(ip) { ip == "203.0.113.5" || default_filter.call(ip) }
    assert_equal "198.51.100.9", forwarded.call("pt_sinatra_xff_trusted", "203.0.113.5")
  ensure
    Rack::Request.ip_filter = default_filter if default_filter
  end

  def test_field_per_call
    post "/turnstile-field", { "cf-turnstile-response" => "pt_sinatra_field" }
    assert_equal [200, "ok"], [last_response.status, last_response.body]
    post "/turnstile-field", { captchala_token: "pt_sinatra_field" }
    assert_equal 400, last_response.status
  end

  def test_field_from_settings_and_values_set_before_register
    @app = EarlySet
    assert_equal "test", EarlySet.passgate.mode
    post "/", { my_token: "pt_test_passed" }
    assert_equal [200, "passed"], [last_response.status, last_response.body]
    post "/", { captchala_token: "pt_test_passed" }, "HTTP_ACCEPT" => "application/json"
    assert_equal [400, "missing_token"], [last_response.status, json["error"]]
  end

  def test_unset_verifier_is_built_once_from_the_environment
    names = %w[PASSGATE_PROVIDER PASSGATE_MODE PASSGATE_ENVIRONMENT]
    saved = names.to_h { |name| [name, ENV[name]] }
    ENV.update("PASSGATE_PROVIDER" => "captchala", "PASSGATE_MODE" => "test", "PASSGATE_ENVIRONMENT" => "test")
    Passgate::Sinatra.reset!
    @app = FromEnv
    assert_nil FromEnv.passgate
    post "/", { captchala_token: "pt_test_passed" }
    assert_equal [200, "passed"], [last_response.status, last_response.body]
    post "/", { captchala_token: "pt_test_replayed" }, "HTTP_ACCEPT" => "application/json"
    assert_equal [409, "replayed"], [last_response.status, json["error"]]
    verifier = Passgate::Sinatra.verifier
    assert_equal "test", verifier.mode
    assert_same verifier, Passgate::Sinatra.verifier
    ENV["PASSGATE_ENVIRONMENT"] = "production"
    assert_same verifier, Passgate::Sinatra.verifier, "built once, not per request"
    Passgate::Sinatra.reset!
    assert_raises(Passgate::ConfigError) { post "/", { captchala_token: "pt_test_passed" } }
  ensure
    ENV.update(saved) if saved
    Passgate::Sinatra.reset!
  end
end
