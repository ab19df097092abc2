# frozen_string_literal: true

require_relative "test_helper"
require "base64"
require "digest"
require "uri"

EMULATOR_FOR_RAILS = Emulator.new
require_relative "rails_app/app"

Rails.application.config.passgate.merge!(EMULATOR_FOR_RAILS.options)
Rails.application.initialize!
require_relative "rails_app/autoincluded"
Rails.application.routes.draw do
  get "/login", to: "sessions#new"
  post "/login", to: "sessions#create"
  post "/check", to: "check#create"
  get "/comments/new", to: "comments#new"
  post "/comments", to: "comments#create"
  post "/reports", to: "reports#create"
  match "/guarded", to: "guarded#show", via: :all
  post "/api/guarded", to: "api_guarded#create"
end
require "rails/test_help"

# Passgate::Rails through Rails integration tests.
class RailsIntegrationTest < ActionDispatch::IntegrationTest
  EMULATOR = EMULATOR_FOR_RAILS

  def setup
    PassgateTestApp::RAN.clear
    Passgate::Rails.reset!
  end

  # The core's own message for a code, in a language.
  def core_message(code, lang)
    Passgate::Verifier.new(mode: "test", environment: "test").validate("pt_test_#{code}").message_for(lang)
  end

  # A Content-Security-Policy header as { directive => [sources] }.
  def parse_csp(header)
    header.to_s.split(";").map(&:split).reject(&:empty?).to_h { |directive, *sources| [directive, sources] }
  end

  def test_pass_runs_the_action_with_ip_from_remote_ip
    EMULATOR.script("pt_rails_ok", action: "login")
    post "/login", params: { captchala_token: "pt_rails_ok" }, headers: { "REMOTE_ADDR" => "198.51.100.4" }
    assert_response 200
    assert_equal({ "done" => true, "code" => "passed", "client_ip" => "198.51.100.4" }, response.parsed_body)
    assert_equal [:create], PassgateTestApp::RAN
  end

  # request.remote_ip behind a proxy Rails trusts (private addresses by
  # default) that appends to X-Forwarded-For: the right-most untrusted entry,
  # not one the client wrote itself.
  def test_client_ip_is_remote_ip_past_trusted_proxies
    EMULATOR.script("pt_rails_xff", action: "login")
    post "/login", params: { captchala_token: "pt_rails_xff" },
                   headers: { "REMOTE_ADDR" => "10.0.0.2", "HTTP_X_FORWARDED_FOR" => "198.51.100.66, 198.51.100.9, 10.0.0.3" }
    assert_equal %w[passed 198.51.100.9], response.parsed_body.values_at("code", "client_ip")
  end

  # A client that reaches the app directly (its address is not a trusted
  # proxy) cannot choose its address with X-Forwarded-For, although Rails'
  # own remote_ip would take it.
  def test_a_forwarded_address_from_an_untrusted_peer_is_ignored
    EMULATOR.script("pt_rails_spoof", action: "login")
    post "/login", params: { captchala_token: "pt_rails_spoof" },
                   headers: { "REMOTE_ADDR" => "203.0.113.50", "HTTP_X_FORWARDED_FOR" => "198.51.100.66" }
    assert_equal %w[passed 203.0.113.50], response.parsed_body.values_at("code", "client_ip")
  end

  # config.passgate.on_outcome reaches the verifier; Passgate::Rails.doctor
  # reads the same settings, labelled config.passgate, without the hook.
  def test_on_outcome_and_doctor_from_config_passgate
    seen = []
    Rails.application.config.passgate.on_outcome = ->(outcome) { seen << outcome.code }
    EMULATOR.script("pt_rails_hook", action: "login")
    post "/login", params: { captchala_token: "pt_rails_hook" }
    assert_response 200
    assert_equal ["passed"], seen
    report = Passgate::Rails.doctor
    assert report.ok?, report.text
    assert_equal "#{EMULATOR.url}  [config.passgate]", report["configuration"].details["api_base"]
  ensure
    Rails.application.config.passgate.delete(:on_outcome)
    Passgate::Rails.reset!
  end

  # Turnstile (config.passgate.provider): require_captcha and verify_captcha
  # read params["cf-turnstile-response"].
  def test_turnstile_reads_cf_turnstile_response
    config = Rails.application.config.passgate
    saved = config.to_h
    config.clear
    config.merge!(provider: "turnstile", secret_key: "test-secret-key", api_base: EMULATOR.url, environment: "test",
                  expected_hostnames: ["localhost"])
    assert_equal "cf-turnstile-response", Passgate::Rails.field
    EMULATOR.script("ts_rails_login", action: "login")
    EMULATOR.script("ts_rails_check", action: "check")
    EMULATOR.script("ts_rails_other_field", action: "login")
    calls = EMULATOR.stats["siteverify_calls"]
    post "/login", params: { "cf-turnstile-response" => "ts_rails_login" }, headers: { "REMOTE_ADDR" => "198.51.100.4" }
    assert_response 200
    assert_equal({ "done" => true, "code" => "passed", "client_ip" => "198.51.100.4" }, response.parsed_body)
    post "/check", params: { "cf-turnstile-response" => "ts_rails_check" }
    assert_equal({ "code" => "passed" }, response.parsed_body)
    post "/login", params: { captchala_token: "ts_rails_other_field" }, as: :json
    assert_response 400
    assert_equal "missing_token", response.parsed_body["error"]
    post "/check", params: { captchala_token: "ts_rails_other_field" }
    assert_response 400
    assert_equal({ "code" => "missing_token" }, response.parsed_body)
    assert_equal [:create], PassgateTestApp::RAN
    assert_equal calls + 2, EMULATOR.stats["siteverify_calls"]
    assert_includes PassgateTestApp::LOG.string, '"cf-turnstile-response"=>"[FILTERED]"'
    refute_includes PassgateTestApp::LOG.string, "ts_rails_login"
  ensure
    config.clear
    config.merge!(saved)
    Passgate::Rails.reset!
  end

  def test_each_failure_class_as_json_without_running_the_action
    store_down = { replay_store: dead_redis_url, store_timeout_ms: 300 }
    [[nil, nil, 400, "missing_token"], [nil, "sct_rails", 400, "malformed_token"],
     [{ action: "pay" }, "pt_rails_pay", 400, "action_mismatch"], [{ error: "token_expired" }, "pt_rails_old", 400, "expired"],
     [{ error: "token_consumed" }, "pt_rails_used", 409, "replayed"], [{ error: "token_uid_mismatch" }, "pt_rails_uid", 403, "uid_mismatch"],
     [{ error: "token_ip_mismatch" }, "pt_rails_ip", 403, "ip_mismatch"], [{ error: "invalid_token" }, "pt_rails_bad", 400, "rejected"],
     [{ http_status: 429 }, "pt_rails_429", 429, "rate_limited"], [{ http_status: 401 }, "pt_rails_401", 500, "misconfigured"],
     [nil, "dg_rails", 503, "degraded"], [nil, "co_rails", 400, "unverifiable"],
     [nil, "pt_rails_store", 503, "store_unavailable", store_down]].each do |script, token, status, code, options|
      EMULATOR.script(token, **script) if script
      Passgate::Rails.verifier = options && Passgate::Verifier.new(**EMULATOR.options(**options))
      validate_calls = EMULATOR.stats["validate_calls"]
      post "/login", params: token ? { captchala_token: token } : {}, as: :json
      assert_response status
      assert_equal code, response.parsed_body["error"], code
      assert response.parsed_body["message"].is_a?(String)
      assert_equal validate_calls, EMULATOR.stats["validate_calls"], "#{code}: upstream called" if options
      assert_empty PassgateTestApp::RAN, code
    end
  end

  # Only a String is a token: arrays and hashes from a form or a JSON body
  # are "no token" (400), never a server error, in require_captcha and
  # verify_captcha alike.
  def test_a_token_that_is_not_a_string_is_missing_token
    form = "application/x-www-form-urlencoded"
    [["captchala_token[]=pt_rails_array", form], ["captchala_token[x]=pt_rails_hash", form],
     ['{"captchala_token": ["pt_rails_array"]}', "application/json"], ['{"captchala_token": {"a": 1}}', "application/json"],
     ['{"captchala_token": 7}', "application/json"]].each do |body, type|
      %w[/login /check].each do |path|
        post path, params: body, headers: { "CONTENT_TYPE" => type, "HTTP_ACCEPT" => "application/json" }
        assert_response 400, "#{path} #{body}"
        assert_equal "missing_token", response.parsed_body[path == "/login" ? "error" : "code"], "#{path} #{body}"
      end
      assert_empty PassgateTestApp::RAN, body
    end
  end

  def test_html_failure_re_renders_the_form_with_params_kept
    post "/login", params: { email: "ann@example.com", nickname: "ann", captchala_token: "" }
    assert_response 400
    assert_includes response.body, 'value="ann@example.com"'
    assert_includes response.body, 'value="ann"'
    assert_includes response.body, "Please complete the captcha."
    assert_empty PassgateTestApp::RAN
  end

  def test_upstream_down_is_503_and_the_action_never_runs
    Passgate::Rails.verifier = Passgate::Verifier.new(**EMULATOR.options(api_base: "http://127.0.0.1:1", timeout_ms: 500))
    post "/login", params: { captchala_token: "pt_rails_down" }, as: :json
    assert_response 503
    assert_equal "upstream_unavailable", response.parsed_body["error"]
    assert_empty PassgateTestApp::RAN
  end

  # verify_captcha is true or false, never the (always truthy) Outcome.
  def test_verify_captcha_is_a_boolean_and_puts_the_message_on_the_model
    EMULATOR.script("pt_rails_comment_ok", action: "comment")
    post "/comments", params: { captchala_token: "pt_rails_comment_ok", body: "hello" }
    assert_response 200
    assert_equal({ "passed" => true, "saved" => true }, response.parsed_body)
    EMULATOR.script("pt_rails_comment_other", action: "login")
    post "/comments", params: { captchala_token: "pt_rails_comment_other", body: "kept" }
    assert_response 400
    assert_equal false, response.parsed_body["passed"]
    message = Passgate::Verifier.new(mode: "test", environment: "test").validate("pt_test_action_mismatch").message
    assert_equal [message], response.parsed_body["errors"]
    assert_equal "kept", response.parsed_body["body"]
    assert_equal [:comment], PassgateTestApp::RAN
  end

  def test_get_is_not_verified_and_verify_captcha_returns_the_outcome
    before = EMULATOR.stats["validate_calls"]
    get "/login"
    assert_response 200
    assert_equal before, EMULATOR.stats["validate_calls"]
    EMULATOR.script("pt_rails_check", action: "check")
    post "/check", params: { captchala_token: "pt_rails_check" }
    assert_equal "passed", response.parsed_body["code"]
  end

  def test_notifications_and_rails_logger
    events = []
    subscriber = ActiveSupport::Notifications.subscribe("validate.passgate") { |*args| events << args.last }
    post "/login", params: { captchala_token: "pt_rails_notified" }, as: :json
    ActiveSupport::Notifications.unsubscribe(subscriber)
    assert_equal 1, events.size
    assert_equal Passgate::LOG_KEYS, events.first.keys
    assert_equal "action_mismatch", events.first["outcome"]
    assert_match(/WARN -- : passgate.validate outcome="action_mismatch"/, PassgateTestApp::LOG.string)
    assert_includes PassgateTestApp::LOG.string, '"captchala_token"=>"[FILTERED]"'
    refute_includes PassgateTestApp::LOG.string, "pt_rails_notified"
    refute_includes PassgateTestApp::LOG.string, APP_SECRET
  end

  # The validate.passgate event wraps the call: its duration covers the
  # upstream's delay, and the payload is the outcome's log fields.
  def test_notifications_event_carries_the_duration_and_the_outcome
    EMULATOR.script("pt_rails_slow", action: "login", delay_ms: 80)
    EMULATOR.script("pt_rails_slow_direct", action: "login", delay_ms: 80)
    events = []
    subscriber = ActiveSupport::Notifications.subscribe("validate.passgate") do |*args|
      events << ActiveSupport::Notifications::Event.new(*args)
    end
    begin
      post "/login", params: { captchala_token: "pt_rails_slow" }, headers: { "REMOTE_ADDR" => "198.51.100.4" }, as: :json
      assert_response 200
      outcome = Passgate::Rails.verifier.validate("pt_rails_slow_direct", client_ip: "198.51.100.5", action: "login")
    ensure
      ActiveSupport::Notifications.unsubscribe(subscriber)
    end
    assert_equal 2, events.size
    events.each do |event|
      assert_operator event.duration, :>=, 75, "the event's duration covers the 80 ms upstream delay"
      assert_equal Passgate::LOG_KEYS, event.payload.keys
      assert_operator event.payload["upstream_latency_ms"], :>=, 75
    end
    assert_equal({ "outcome" => "passed", "ok" => true, "action" => "login", "client_ip" => "198.51.100.4" },
                 events.first.payload.slice("outcome", "ok", "action", "client_ip"))
    assert_equal outcome.log_fields, events.last.payload
  end

  # No include in GuardedController / ApiGuardedController: the Railtie
  # included Passgate::Rails::Controller into both controller bases.
  def test_the_railtie_includes_the_controller_concern
    assert_operator ActionController::Base, :<, Passgate::Rails::Controller
    assert_operator ActionController::API, :<, Passgate::Rails::Controller
    post "/api/guarded", params: { captchala_token: "" }, as: :json
    assert_response 400
    assert_equal "missing_token", response.parsed_body["error"]
    assert_empty PassgateTestApp::RAN
    EMULATOR.script("pt_rails_api", action: "guard")
    post "/api/guarded", params: { captchala_token: "pt_rails_api" }, as: :json
    assert_response 200
    assert_equal({ "code" => "passed" }, response.parsed_body)
    assert_equal [:api], PassgateTestApp::RAN
  end

  # Exactly GET, HEAD, OPTIONS and TRACE reach the action unverified; any
  # other method is verified.
  def test_only_the_safe_methods_pass_unverified
    %w[GET HEAD OPTIONS TRACE].each do |method|
      process method.downcase.to_sym, "/guarded"
      assert_response 200
      assert_equal({ "verified" => false }, response.parsed_body, method) unless method == "HEAD"
    end
    assert_equal %w[GET HEAD OPTIONS TRACE], PassgateTestApp::RAN
    PassgateTestApp::RAN.clear
    %w[POST PUT PATCH DELETE PROPFIND].each do |method|
      process method.downcase.to_sym, "/guarded", headers: { "HTTP_ACCEPT" => "application/json" }
      assert_response 400
      assert_equal "missing_token", response.parsed_body["error"], method
    end
    assert_empty PassgateTestApp::RAN
    EMULATOR.script("pt_rails_guard_put", action: "guard")
    put "/guarded", params: { captchala_token: "pt_rails_guard_put" }
    assert_equal({ "verified" => true }, response.parsed_body)
    assert_equal ["PUT"], PassgateTestApp::RAN
  end

  # passgate_tags under the app's CSP (config/initializers/content_security_policy.rb:
  # a nonce generator and Passgate::Rails.content_security_policy): the
  # header's nonce is the one on the widget's script, and the header allows
  # the bootstrap by its hash and the provider's hosts, without 'unsafe-inline'.
  def test_widget_page_csp_header_has_the_scripts_nonce_hash_and_provider_sources
    nonces = Array.new(2) do
      get "/comments/new"
      assert_response 200
      body = response.body
      header = response.headers["Content-Security-Policy"]
      refute_nil header
      csp = parse_csp(header)
      assert_includes body, 'data-action="comment"'
      assert_includes body, %(data-sitekey="#{APP_KEY}")
      refute_includes body, APP_SECRET
      nonce, script = body.match(%r{<script nonce="([^"]+)">(.*?)</script>}m)&.captures
      refute_nil nonce, "the widget's script carries the request's nonce"
      assert_equal ["'self'", "'nonce-#{nonce}'"], csp["script-src"] & ["'self'", "'nonce-#{nonce}'"]
      assert_equal "'nonce-#{nonce}'", csp["script-src"].last
      assert_includes csp["script-src"], "'sha256-#{Base64.strict_encode64(Digest::SHA256.digest(script))}'"
      loader = URI(body[/data-passgate-loader="([^"]+)"/, 1])
      assert_includes csp["script-src"], "#{loader.scheme}://#{loader.host}"
      Passgate::Rails.verifier.csp.each do |directive, sources|
        sources.each { |source| assert_includes csp[directive].to_a, source, directive }
      end
      assert_equal ["'none'"], csp["object-src"]
      assert_equal ["'self'"], csp["default-src"]
      refute_includes header, "unsafe-inline"
      refute_includes header, "unsafe-eval"
      refute_match(/nonce/, csp.reject { |directive, _| directive == "script-src" }.values.flatten.join(" "))
      nonce
    end
    refute_equal nonces.first, nonces.last, "a fresh nonce per request"
  end

  # Messages come from Rails I18n (passgate.<code>), falling back to the
  # core's message for the locale: pt-BR (which the core lacks) from the
  # app's translations, fr from the core, English by default.
  def test_messages_are_translated_by_rails_i18n_with_the_core_as_fallback
    replayed_pt = "Este captcha já foi usado. Resolva-o novamente."
    I18n.backend.store_translations(:"pt-BR", passgate: { replayed: replayed_pt })
    replayed = ->(token) { EMULATOR.script(token, error: "token_consumed") }

    # verify_captcha's model error
    replayed.call("pt_rails_i18n_model")
    post "/comments?locale=pt-BR", params: { captchala_token: "pt_rails_i18n_model", body: "oi" }
    assert_response 409
    assert_equal [replayed_pt], response.parsed_body["errors"]
    # require_captcha's JSON
    replayed.call("pt_rails_i18n_json")
    post "/login?locale=pt-BR", params: { captchala_token: "pt_rails_i18n_json" }, as: :json
    assert_response 409
    assert_equal({ "error" => "replayed", "message" => replayed_pt }, response.parsed_body)
    # require_captcha's flash on the re-rendered form, from config/locales/pt-BR.yml
    post "/login?locale=pt-BR", params: { email: "ana@example.com", captchala_token: "" }
    assert_response 400
    assert_includes response.body, %(<p class="alert">Por favor, resolva o captcha.</p>)
    # require_captcha's error page (no render:)
    replayed.call("pt_rails_i18n_page")
    post "/reports?locale=pt-BR", params: { captchala_token: "pt_rails_i18n_page" }
    assert_response 409
    assert_equal "text/html", response.media_type
    assert_includes response.body, %(<p role="alert">#{ERB::Util.html_escape(replayed_pt)}</p>)
    refute_includes response.body, "<script"
    assert_empty PassgateTestApp::RAN

    # A code with no pt-BR translation: the core's English.
    EMULATOR.script("pt_rails_i18n_action", action: "login")
    post "/comments?locale=pt-BR", params: { captchala_token: "pt_rails_i18n_action", body: "oi" }
    assert_response 400
    assert_equal [core_message("action_mismatch", "en")], response.parsed_body["errors"]
    # fr, with no app translation: the core's French.
    french = core_message("replayed", "fr")
    refute_equal core_message("replayed", "en"), french
    replayed.call("pt_rails_i18n_fr")
    post "/comments?locale=fr", params: { captchala_token: "pt_rails_i18n_fr", body: "salut" }
    assert_equal [french], response.parsed_body["errors"]
    replayed.call("pt_rails_i18n_fr_json")
    post "/login?locale=fr", params: { captchala_token: "pt_rails_i18n_fr_json" }, as: :json
    assert_equal french, response.parsed_body["message"]
    # The default locale: the core's English, as before.
    replayed.call("pt_rails_i18n_en")
    post "/comments", params: { captchala_token: "pt_rails_i18n_en", body: "hi" }
    assert_equal [core_message("replayed", "en")], response.parsed_body["errors"]

    outcome = Passgate::Verifier.new(mode: "test", environment: "test").validate("pt_test_replayed")
    assert_equal replayed_pt, Passgate::Rails.message(outcome, :"pt-BR")
    assert_equal french, Passgate::Rails.message(outcome, :fr)
    I18n.with_locale(:"pt-BR") { assert_equal replayed_pt, Passgate::Rails.message(outcome) }
  ensure
    I18n.reload!
  end

  # The error page (require_captcha without render:) in the default locale.
  def test_html_failure_without_render_is_the_core_page
    post "/reports", params: { captchala_token: "" }
    assert_response 400
    assert_equal "text/html", response.media_type
    assert_includes response.body, %(<p role="alert">#{ERB::Util.html_escape(core_message("missing_token", "en"))}</p>)
    assert_includes response.body, "Back button"
    assert_empty PassgateTestApp::RAN
    EMULATOR.script("pt_rails_report_ok", action: "report")
    post "/reports", params: { captchala_token: "pt_rails_report_ok" }
    assert_response 204
    assert_equal [:report], PassgateTestApp::RAN
  end

  # A directive the policy lacks fell back to default-src in the browser:
  # the widget's sources are added to that, not to 'self' alone.
  def test_content_security_policy_starts_missing_directives_from_default_src
    verifier = Passgate::Verifier.new(provider: "hcaptcha", secret_key: "s", site_key: "k", environment: "test")
    policy = ActionDispatch::ContentSecurityPolicy.new do |p|
      p.default_src :self, "https://api.example.com"
      p.script_src :self
    end
    Passgate::Rails.content_security_policy(policy, verifier: verifier)
    assert_equal ["'self'", "https://api.example.com"], policy.directives["connect-src"].first(2)
    assert_includes policy.directives["connect-src"], "https://*.hcaptcha.com"
    refute_includes policy.directives["script-src"], "https://api.example.com"
    none = ActionDispatch::ContentSecurityPolicy.new { |p| p.default_src :none }
    Passgate::Rails.content_security_policy(none, verifier: verifier)
    refute_includes none.directives["style-src"], "'none'"
  end
end
