# frozen_string_literal: true

require_relative "test_helper"
require "base64"
require "digest"
require "uri"

# Verifier#widget and Verifier#csp: the widget's HTML for one form and the
# sources it needs in the page's Content Security Policy.
class WidgetTest < Minitest::Test
  SECRET = "widget-test-secret-d41d8cd98f"
  SITE_SECRET = "0xWIDGET-SECRET-KEY-5e8b"
  SITE_KEY = "0xWIDGET-SITE-KEY"

  def captchala(**options)
    Passgate::Verifier.new(app_key: APP_KEY, app_secret: SECRET, environment: "test", **options)
  end

  def siteverify(provider, **options)
    Passgate::Verifier.new(provider: provider, secret_key: SITE_SECRET, site_key: SITE_KEY, environment: "test",
                           **options)
  end

  # The text of the widget's inline script (the bootstrap).
  def script_text(html)
    scripts = html.scan(%r{<script(?: nonce="[^"]*")?>(.*?)</script>}m).flatten
    assert_equal 1, scripts.size, "one inline script"
    scripts.first
  end

  def sha256_source(text)
    "'sha256-#{Base64.strict_encode64(Digest::SHA256.digest(text))}'"
  end

  def test_captchala_widget_has_the_app_key_action_and_nonce_never_the_secret
    html = captchala.widget(action: "comment", nonce: "bm9uY2U+/=")
    assert_includes html, 'data-passgate-provider="captchala"'
    assert_includes html, %(data-sitekey="#{APP_KEY}")
    assert_includes html, 'data-action="comment"'
    assert_includes html, %(<input type="hidden" name="captchala_token" value="">)
    assert_includes html, 'data-passgate-field="captchala_token"'
    assert_match(/<\/div><script nonce="bm9uY2U\+\/=">/, html)
    assert_equal 1, html.scan("<script").size
    assert_includes html, '<p class="passgate-widget-error" role="alert" hidden>'
    refute_includes html, SECRET
    refute_includes html, "app_secret"
  end

  def test_server_token_is_passed_to_the_captchala_widget
    html = captchala.widget(action: "login", server_token: "sct_abc-123")
    assert_includes html, 'data-server-token="sct_abc-123"'
  end

  def test_siteverify_widgets_have_the_site_key_never_the_secret_key
    { "turnstile" => "cf-turnstile-response", "recaptcha" => "g-recaptcha-response",
      "hcaptcha" => "h-captcha-response" }.each do |provider, field|
      html = siteverify(provider).widget(action: "signup", nonce: "abc123")
      assert_includes html, %(data-passgate-provider="#{provider}"), provider
      assert_includes html, %(data-sitekey="#{SITE_KEY}"), provider
      assert_includes html, 'data-action="signup"', provider
      assert_includes html, %(data-passgate-field="#{field}"), provider
      assert_includes html, '<script nonce="abc123">', provider
      refute_includes html, SITE_SECRET, provider
      refute_includes html, "captchala_token", provider # the provider's script adds its own field
    end
    assert_includes siteverify("turnstile").widget(cdata: "order_42"), 'data-cdata="order_42"'
  end

  def test_without_a_nonce_the_script_has_no_nonce_attribute
    html = captchala.widget(action: "comment")
    assert_includes html, "</div><script>("
    refute_match(/<script[^>]*nonce/, html)
  end

  def test_each_call_has_a_distinct_id
    verifier = captchala
    ids = Array.new(5) { verifier.widget(action: "comment")[/ id="([^"]+)"/, 1] }
    ids << siteverify("turnstile").widget[/ id="([^"]+)"/, 1]
    assert ids.all? { |id| id.is_a?(String) && !id.empty? }, ids.inspect
    assert_equal ids.size, ids.uniq.size, ids.inspect
  end

  def test_each_bad_argument_raises_config_error_naming_it
    turnstile = siteverify("turnstile")
    [[captchala, { action: "bad action!" }, "action"], [captchala, { action: "a" * 101 }, "action"],
     [captchala, { action: 42 }, "action"], [captchala, { nonce: 'x" onload="alert(1)' }, "nonce"],
     [captchala, { nonce: "a b" }, "nonce"], [captchala, { cdata: "order_42" }, "cdata"],
     [turnstile, { cdata: "bad cdata!" }, "cdata"], [turnstile, { server_token: "sct_abc" }, "server_token"],
     [captchala, { server_token: "bad token" }, "server_token"]].each do |verifier, args, name|
      error = assert_raises(Passgate::ConfigError, args.inspect) { verifier.widget(**args) }
      assert_match(/\b#{name}:/, error.message, args.inspect)
    end
    %w[turnstile recaptcha hcaptcha].each do |provider|
      verifier = Passgate::Verifier.new(provider: provider, secret_key: SITE_SECRET, environment: "test")
      error = assert_raises(Passgate::ConfigError, provider) { verifier.widget(action: "login") }
      assert_match(/\bsite_key:/, error.message, provider)
      refute_includes error.message, SITE_SECRET
    end
  end

  # The bootstrap is one fixed script, whatever the arguments; its hash (computed
  # here from the HTML) is the CSP source that lets it run without 'unsafe-inline'.
  def test_csp_has_the_hash_of_the_inline_script
    verifier = captchala
    text = script_text(verifier.widget(action: "comment", nonce: "abc"))
    assert_equal text, script_text(verifier.widget)
    assert_equal text, script_text(siteverify("turnstile").widget(action: "x", cdata: "y"))
    hash = sha256_source(text)
    [verifier, siteverify("turnstile"), siteverify("recaptcha"), siteverify("hcaptcha")].each do |v|
      csp = v.csp
      assert_includes csp["script-src"], hash, v.provider
      assert_equal [hash], csp.values.flatten.grep(/\A'sha256-/), v.provider
      refute_match(/unsafe/, csp.values.flatten.join(" "), v.provider)
    end
  end

  def test_csp_lists_the_providers_hosts
    loader = ->(v) { URI(v.widget[/data-passgate-loader="([^"]+)"/, 1]) }
    csp = captchala.csp
    origin = loader.call(captchala).then { |uri| "#{uri.scheme}://#{uri.host}" }
    assert_includes csp["script-src"], origin
    turnstile = siteverify("turnstile")
    assert_equal ["https://challenges.cloudflare.com"], turnstile.csp["frame-src"]
    assert_includes turnstile.csp["script-src"], "https://challenges.cloudflare.com"
    assert_equal "challenges.cloudflare.com", loader.call(turnstile).host
  end

  # script_url: the loader comes from there, and every directive lists that
  # origin next to the provider's hosts (the loader may still use them).
  def test_script_url_origin_joins_the_hosts
    default = captchala.csp
    url = "https://cdn.example.net:8443/captcha/loader.js?v=2"
    verifier = captchala(script_url: url)
    assert_includes verifier.widget, %(data-passgate-loader="#{url}")
    csp = verifier.csp
    hosts = default.values.flatten.reject { |source| source.start_with?("'") }
    refute_empty hosts
    refute_empty csp
    csp.each do |directive, sources|
      assert_includes sources, "https://cdn.example.net:8443", directive
      assert_equal (default[directive] || []).reject { |s| s.start_with?("'") } + ["https://cdn.example.net:8443"],
                   sources.reject { |s| s.start_with?("'") }, directive
    end
    assert_includes csp["script-src"], sha256_source(script_text(verifier.widget))
    turnstile = siteverify("turnstile", script_url: "http://127.0.0.1:8900/turnstile.js")
    assert_equal ["https://challenges.cloudflare.com", "http://127.0.0.1:8900"], turnstile.csp["frame-src"]
    assert_equal ["https://challenges.cloudflare.com", "http://127.0.0.1:8900"],
                 turnstile.csp["script-src"].reject { |s| s.start_with?("'") }
  end
end
