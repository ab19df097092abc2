# frozen_string_literal: true

require "sinatra/base"
require "passgate"
require "passgate/rack"

module Passgate
  # Sinatra extension.
  #
  #   require "passgate/sinatra"
  #
  #   class App < Sinatra::Base
  #     register Passgate::Sinatra
  #     set :passgate, Passgate::Verifier.from_env(logger: Logger.new($stdout))   # optional, see below
  #
  #     post "/login" do
  #       outcome = require_captcha!(action: "login")   # halts unless the token passes
  #       "welcome (#{outcome.code})"
  #     end
  #   end
  #
  # Settings: `passgate` is the Passgate::Verifier. Set it at class level and
  # a bad setting raises Passgate::ConfigError when the app loads; leave it
  # unset and one verifier is built from the environment
  # (Passgate::Verifier.from_env, shared by every app in the process) on the
  # first protected request. `passgate_field` names the form field (default:
  # the provider's own, Verifier#form_field).
  #
  # require_captcha! lets the methods in Passgate::SAFE_METHODS through
  # (returning nil) and verifies any other: the token from the form field or
  # the same key of a JSON body (anything but a String counts as no token),
  # the client IP from request.ip. On success it returns the
  # Passgate::Outcome (also passgate_outcome and env["passgate.outcome"]);
  # on failure it halts with the outcome's http_status and, by the core's
  # rule (Passgate::Rack.wants_json?), JSON {"error", "message"} or the
  # core's HTML page (Passgate.failure_page, no script), in the first
  # Accept-Language — the same answer as Passgate::Rack.
  #
  # request.ip is Rack::Request#ip: X-Forwarded-For is read only past
  # proxies that Rack::Request.ip_filter trusts (by default loopback and
  # private addresses). Behind other proxies, name them:
  #
  #   Rack::Request.ip_filter = ->(ip) { ip.start_with?("203.0.113.") || ip == "127.0.0.1" }
  module Sinatra
    module Helpers
      # Verify this request's captcha (see Passgate::Sinatra). action: the
      # action the token must carry; field: another form field this once.
      def require_captcha!(action: nil, field: nil)
        return nil if Passgate::SAFE_METHODS.include?(request.request_method)

        verifier = passgate_verifier
        field = (field || settings.passgate_field || verifier.form_field).to_s
        outcome = verifier.validate(Passgate::Rack.token_from(request, field), client_ip: request.ip, action: action)
        env["passgate.outcome"] = outcome
        return outcome if outcome.ok?

        halt Passgate::Rack.failure_response(outcome, json: Passgate::Rack.wants_json?(env),
                                                      lang: Passgate::Rack.language(env))
      end

      # The Outcome of this request's verification, or nil before one.
      def passgate_outcome
        env["passgate.outcome"]
      end

      # settings.passgate, else the verifier built from the environment.
      def passgate_verifier
        settings.passgate || Passgate::Sinatra.verifier
      end
    end

    @mutex = Mutex.new

    class << self
      # The verifier built from the environment, once per process (one
      # memory replay store for every app that leaves `passgate` unset).
      def verifier
        @verifier || @mutex.synchronize { @verifier ||= Passgate::Verifier.from_env }
      end

      # Forget the verifier built from the environment (tests).
      def reset!
        @mutex.synchronize { @verifier = nil }
      end

      def registered(app)
        # Keep a value set before `register`.
        app.set :passgate, nil unless app.respond_to?(:passgate)
        app.set :passgate_field, nil unless app.respond_to?(:passgate_field)
        app.helpers Helpers
      end
    end
  end
end
