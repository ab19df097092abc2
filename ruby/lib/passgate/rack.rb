# frozen_string_literal: true

require "json"
require "rack"

module Passgate
  # Rack middleware: verifies the captcha on unsafe requests (any method not
  # in Passgate::SAFE_METHODS: POST, PUT, PATCH, DELETE, ...) to the
  # protected paths before the app sees them.
  #
  #   use Passgate::Rack, verifier: verifier, paths: { "/login" => "login", "/signup" => "signup" }
  #
  # `paths` maps a path (String or Regexp) to the expected action (or nil),
  # or is an Array of paths with no expected action. Paths are compared after
  # normalising both sides (see .normalize_path), so `/login/`, `//login`,
  # `/l%6Fgin`, `/./login` and `/login.json` are all `/login`; a Regexp is
  # matched against the normalised request path. The token comes from the
  # form field `field` (default: the provider's own, verifier.form_field) or the same key of a JSON
  # body; the client IP from Rack::Request#ip, which reads X-Forwarded-For
  # only past proxies that Rack::Request.ip_filter trusts (by default
  # loopback and private addresses; set it to a lambda naming your proxies).
  # The outcome is env["passgate.outcome"]. On failure the app is
  # not called: `on_failure.call(env, outcome)` answers, or a JSON/HTML error
  # with the outcome's http_status.
  class Rack
    def initialize(app, verifier:, paths:, field: nil, on_failure: nil)
      @app = app
      @verifier = verifier
      rules = paths.is_a?(Hash) ? paths.to_a : Array(paths).map { |path| [path, nil] }
      @paths = rules.map { |path, action| [path.is_a?(Regexp) ? path : Passgate::Rack.normalize_path(path), action] }
      @field = field || verifier.form_field
      @on_failure = on_failure
    end

    def call(env)
      request = ::Rack::Request.new(env)
      rule = protected_rule(request)
      return @app.call(env) unless rule

      outcome = @verifier.validate(Passgate::Rack.token_from(request, @field), client_ip: request.ip, action: rule[1])
      env["passgate.outcome"] = outcome
      return @app.call(env) if outcome.ok?
      return @on_failure.call(env, outcome) if @on_failure

      Passgate::Rack.failure_response(outcome, json: Passgate::Rack.wants_json?(env), lang: Passgate::Rack.language(env))
    end

    def self.token_from(request, field)
      value = begin
        request.POST[field]
      rescue StandardError
        nil
      end
      if value.nil? && request.media_type.to_s.include?("json")
        body = request.body&.read
        request.body&.rewind
        parsed = begin
          JSON.parse(body.to_s)
        rescue JSON::ParserError
          nil
        end
        value = parsed[field] if parsed.is_a?(Hash)
      end
      value.is_a?(String) ? value : nil
    end

    # The path a router would dispatch to, as a canonical String. Routers
    # disagree (Rails squeezes slashes, drops a trailing slash and takes a
    # `(.:format)` suffix; Sinatra decodes %XX and, through rack-protection,
    # resolves dot segments and backslashes), so a protected path is matched
    # on what all of them would reach: percent-decoded once, `\` read as `/`,
    # `;params` dropped from each segment, empty and `.` segments dropped,
    # `..` resolved, and the last segment's `.<ext>` dropped. Protecting a
    # little more than one router would (say POST /login.css) is the safe
    # side of a mismatch; protecting less lets a form through unverified.
    def self.normalize_path(path)
      decoded = ::Rack::Utils.unescape_path(path.to_s).dup.force_encoding(Encoding::UTF_8).scrub
      segments = decoded.tr("\\", "/").split("/").each_with_object([]) do |segment, kept|
        segment = segment.split(";", 2).first.to_s
        next if segment.empty? || segment == "."

        segment == ".." ? kept.pop : kept << segment
      end
      last = segments.pop.to_s.sub(/\.[^.]*\z/, "")
      segments << last unless last.empty?
      "/#{segments.join("/")}"
    end

    # The core's rule (Passgate.wants_json?): a JSON body, an XMLHttpRequest,
    # or an Accept naming JSON and not HTML.
    def self.wants_json?(env)
      Passgate.wants_json?(env["HTTP_ACCEPT"].to_s, env["CONTENT_TYPE"].to_s, env["HTTP_X_REQUESTED_WITH"].to_s)
    end

    # The core's choice: the first tag of the highest quality, else "en".
    def self.language(env)
      Passgate.preferred_language(env["HTTP_ACCEPT_LANGUAGE"].to_s)
    end

    def self.failure_response(outcome, json:, lang: "en")
      message = outcome.message_for(lang)
      if json
        [outcome.http_status, { "content-type" => "application/json" }, [JSON.generate(error: outcome.code, message: message)]]
      else
        html = Passgate.failure_page(message, lang) # no script: it passes a strict CSP
        [outcome.http_status, { "content-type" => "text/html; charset=utf-8" }, [html]]
      end
    end

    private

    def protected_rule(request)
      return nil if Passgate::SAFE_METHODS.include?(request.request_method)

      path_info = Passgate::Rack.normalize_path(request.path_info)
      @paths.find { |path, _| path.is_a?(Regexp) ? path.match?(path_info) : path == path_info }
    end
  end
end
