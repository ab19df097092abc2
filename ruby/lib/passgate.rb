# frozen_string_literal: true

# passgate: server-side CAPTCHA verification with stable outcome codes.
#
#   verifier = Passgate::Verifier.new(app_key: "...", app_secret: "...")       # CaptchaLa
#   verifier = Passgate::Verifier.new(provider: "turnstile", secret_key: "...")
#   outcome = verifier.validate(token, client_ip: request.remote_ip, action: "login")
#   head outcome.http_status unless outcome.ok?
#
#   Passgate.doctor            # checks a deployment (also: passgate-doctor, rake passgate:doctor)
#   Passgate.metrics_text      # this process' counters, Prometheus text
#
# The decisions are made in the Rust core (passgate_native); this library adds
# keyword arguments, logging and the Rails/Rack/Sinatra helpers.

require_relative "passgate/version"
# A platform gem carries the extension built for this Ruby's ABI; the source
# gem builds passgate/passgate_native at install time.
prebuilt = "passgate/#{RUBY_VERSION[/\A\d+\.\d+/]}/passgate_native"
require((begin; $LOAD_PATH.resolve_feature_path(prebuilt); rescue LoadError; nil; end) ? prebuilt : "passgate/passgate_native")
require_relative "passgate/outcome"
require_relative "passgate/verifier"
require_relative "passgate/doctor"
require_relative "passgate/metrics"

module Passgate
  # SAFE_METHODS (set by the native extension, from the core): the request
  # methods every helper (Passgate::Rack, Passgate::Rails' require_captcha,
  # Passgate::Sinatra's require_captcha!) lets through unverified, the safe
  # methods of RFC 9110 section 9.2.1. Any other method (POST, PUT, PATCH,
  # DELETE, an extension method) is verified.

  autoload :Rack, "passgate/rack"
  # register Passgate::Sinatra (needs the sinatra gem).
  autoload :Sinatra, "passgate/sinatra"
  # Loaded right away when Rails is already loaded (the usual Bundler order),
  # else on first use of Passgate::Rails.
  autoload :Rails, "passgate/rails"
end

require_relative "passgate/rails" if defined?(::Rails::Railtie)
