# frozen_string_literal: true

module Passgate
  # Verifies CAPTCHA pass tokens with one provider: CaptchaLa (default),
  # reCAPTCHA, hCaptcha or Turnstile (provider:). Options: every name in
  # Passgate::OPTION_NAMES (docs/configuration.md) —
  # provider:, app_key:, app_secret:, secret_key:, site_key:, environment:,
  # api_base:, script_url:, backup_api_base:, expected_hostnames:, min_score:,
  # max_risk_score:, replay_store:, redis_key_prefix:, store_timeout_ms:,
  # timeout_ms:, max_token_age_s:, clock_skew_s:, mode:, ca_file:,
  # max_entries:, allow_client_only:, allow_degraded:,
  # fail_open_on_store_error: — plus logger: (any Logger) and on_outcome:
  # (anything responding to call, given each Outcome). Anything not given
  # is read from the environment (PASSGATE_PROVIDER, CAPTCHALA_APP_KEY,
  # PASSGATE_SECRET_KEY, PASSGATE_*). Bad settings raise Passgate::ConfigError
  # naming the setting.
  class Verifier
    ServerToken = Struct.new(:server_token, :expires_in, :issued_at, keyword_init: true)

    def self.from_env(logger: nil, on_outcome: nil)
      new(logger: logger, on_outcome: on_outcome)
    end

    def initialize(app_key: nil, app_secret: nil, logger: nil, on_outcome: nil, **options)
      unless on_outcome.nil? || on_outcome.respond_to?(:call)
        raise ConfigError, "passgate config: on_outcome: must respond to call (a Proc, lambda or Method), " \
                           "got #{on_outcome.class}"
      end

      options[:app_key] = app_key unless app_key.nil?
      options[:app_secret] = app_secret unless app_secret.nil?
      @native = NativeVerifier.new(options)
      @logger = logger
      @on_outcome = on_outcome
    end

    attr_reader :logger, :on_outcome

    # Validate a pass token. Releases the GVL while waiting; never raises for
    # a bad token or a failing upstream (see Outcome#code). Timeout,
    # Thread#raise, Thread#kill and Ctrl-C end the wait at once and raise as
    # usual; the upstream call then finishes in the background, unlogged.
    #
    # With ActiveSupport loaded, the call runs inside an
    # ActiveSupport::Notifications "validate.passgate" event, so a subscriber
    # gets its duration; the payload holds the outcome's log fields (String
    # keys, Passgate::LOG_KEYS), added when the call returns. An interrupted
    # call (Timeout, Thread#raise) still finishes the event, without log
    # fields (ActiveSupport adds :exception when an exception passes through).
    #
    # Then on_outcome, when given, is called with the Outcome (after the log
    # record): counters, metrics, alerts. A StandardError it raises is logged
    # (class and message) and swallowed; the Outcome is returned as usual.
    def validate(token, client_ip: nil, action: nil, uid: nil, keep_token: false)
      arguments = [token, string_or_nil(client_ip, :client_ip), string_or_nil(action, :action),
                   string_or_nil(uid, :uid), keep_token ? true : false]
      outcome = instrumented { @native.validate(*arguments) }
      log(outcome)
      notify(outcome)
      outcome
    end

    # Issue a server token (sct_...) for the widget (CaptchaLa only); raises
    # Passgate::IssueError when refused or with another provider.
    def issue_server_token(action, binding_ip: nil, ttl: nil, max_uses: nil, bind_uid: nil)
      raise TypeError, "action must be a String" unless action.is_a?(String)

      token, expires_in, issued_at = @native.issue_server_token(action, binding_ip, ttl, max_uses, bind_uid)
      ServerToken.new(server_token: token, expires_in: expires_in, issued_at: issued_at)
    end

    # The widget's HTML for one form (container, a hint shown when the
    # provider's script cannot load, and a bootstrap script carrying nonce:;
    # its hash is in #csp, so no 'unsafe-inline' is needed). Raises
    # Passgate::ConfigError naming a bad argument or a missing site_key.
    def widget(action: nil, nonce: nil, cdata: nil, server_token: nil, lang: nil)
      @native.widget({ action: action, nonce: nonce, cdata: cdata, server_token: server_token, lang: lang })
    end

    # { "script-src" => [...], "frame-src" => [...], ... }: the sources the
    # widget needs in the page's Content Security Policy.
    def csp = @native.csp

    def environment = @native.describe["environment"]
    def mode = @native.describe["mode"]
    # "captchala", "recaptcha", "hcaptcha" or "turnstile".
    def provider = @native.describe["provider"]
    # The form field the provider's widget posts the token in.
    def form_field = @native.describe["form_field"]

    def inspect
      described = @native.describe.map { |key, value| "#{key}=#{value.inspect}" }.join(" ")
      "#<Passgate::Verifier #{described}>"
    end
    alias to_s inspect

    private

    def string_or_nil(value, name)
      return nil if value.nil?
      raise TypeError, "#{name} must be a String or nil, not #{value.class}" unless value.is_a?(String)

      value
    end

    # Runs the validation (the block) inside a "validate.passgate" event
    # when ActiveSupport::Notifications is loaded; the outcome's log fields
    # join the payload once it returns.
    def instrumented
      return yield unless defined?(::ActiveSupport::Notifications)

      outcome = nil
      ::ActiveSupport::Notifications.instrument("validate.passgate", {}) do |payload|
        outcome = yield
        payload.merge!(outcome.log_fields)
      end
      outcome
    end

    def log(outcome)
      return unless @logger

      outcome.ok? ? @logger.info(outcome.log_line) : @logger.warn(outcome.log_line)
    end

    # A failing callback must not turn a validation into an exception: say
    # what it raised (to the logger, else to stderr) and carry on. The
    # message is the callback's own; the token is never added to it.
    def notify(outcome)
      return unless @on_outcome

      begin
        @on_outcome.call(outcome)
      rescue StandardError => e
        line = "passgate.on_outcome error=#{e.class.name.inspect} message=#{e.message.to_s.inspect} " \
               "outcome=#{outcome.code.inspect}"
        @logger ? @logger.error(line) : warn(line)
      end
    end
  end
end
