# frozen_string_literal: true

require "rails/railtie"
require "active_support/concern"

module Passgate
  # Rails integration.
  #
  #   # config/application.rb (or an environment file)
  #   config.passgate.environment = "production"     # any Verifier option
  #   config.passgate.on_outcome = ->(outcome) { ... } # optional, see Verifier#validate
  #   # keys: config.passgate.app_key / app_secret, else credentials
  #   # captchala: { app_key:, app_secret: }, else CAPTCHALA_APP_KEY / CAPTCHALA_APP_SECRET
  #
  #   $ bin/rails passgate:doctor          # checks these settings, the provider, keys, clock, store
  #
  #   class SessionsController < ApplicationController
  #     require_captcha action: "login", only: :create, render: :new
  #   end
  #
  # The Railtie includes Passgate::Rails::Controller into every controller
  # (ActionController::Base and ::API); an explicit include still works.
  # The verifier is built at boot when config.eager_load is true (production),
  # so a bad setting raises Passgate::ConfigError then rather than on the
  # first POST; with eager_load false (development, test, rake tasks) it is
  # built on first use.
  #
  # Views: <%= passgate_tags(action: "login") %> renders the widget with
  # content_security_policy_nonce. CSP: in the content_security_policy
  # initializer, after your own directives, call
  # Passgate::Rails.content_security_policy(policy) to add the widget's
  # sources.
  #
  # Messages: every message the integration shows (verify_captcha's model
  # error, require_captcha's flash, JSON and error page) is
  # Passgate::Rails.message(outcome): the I18n key passgate.<code> in
  # I18n.locale, falling back to the core's message for that locale (en,
  # zh-CN, zh-TW, ja, ko, es, fr, de; English for any other). To reword a
  # message or add a language the core lacks (pt-BR, it, ru, ...):
  #
  #   # config/locales/pt-BR.yml
  #   pt-BR:
  #     passgate:
  #       replayed: "Este captcha já foi usado. Resolva-o novamente."
  #
  # The codes are Passgate::Outcome#code (docs/outcomes.md). The error page's
  # second sentence and the widget's load-failure hint stay the core's (its
  # 8 languages, else English).
  #
  # The client IP is request.remote_ip (Rails' trusted-proxy logic:
  # config.action_dispatch.trusted_proxies) when the request came through a
  # trusted proxy, else REMOTE_ADDR: Rails reads X-Forwarded-For whoever sent
  # it, so a client reaching the app directly could choose its address; the
  # token is the provider's own field — params[:captchala_token],
  # params["g-recaptcha-response"], params["h-captcha-response"] or
  # params["cf-turnstile-response"] (config.passgate.field to change it).
  module Rails
    class Railtie < ::Rails::Railtie
      config.passgate = ActiveSupport::OrderedOptions.new

      # Rails logs request parameters: keep the raw token out of the log.
      initializer "passgate.filter_parameters" do |app|
        fields = Passgate::FORM_FIELDS + [app.config.passgate[:field]].compact
        app.config.filter_parameters |= fields.map(&:to_sym)
      end

      # Initializers may have built a verifier from half-set configuration
      # (a content_security_policy initializer calls the verifier): start
      # again from the final one. With eager loading (production), build it
      # now so a bad setting fails the boot with Passgate::ConfigError
      # instead of the first protected request; without (development, test,
      # rake tasks, which set eager_load from rake_eager_load), on first use.
      config.after_initialize do |app|
        Passgate::Rails.reset!
        Passgate::Rails.verifier if app.config.eager_load
      end

      initializer "passgate.view_helpers" do
        ActiveSupport.on_load(:action_view) { include Passgate::Rails::Helper }
      end

      # require_captcha / verify_captcha / passgate_outcome in every
      # controller without an include (ActionController::Base and ::API both
      # run this hook). Including it again by hand is a no-op.
      initializer "passgate.controller" do
        ActiveSupport.on_load(:action_controller) { include Passgate::Rails::Controller }
      end

      # rake passgate:doctor (rake "passgate:doctor[json]" for JSON): the
      # doctor on this app's settings; exits 1 when a check failed.
      rake_tasks do
        namespace :passgate do
          desc "Check passgate's configuration, provider connection, keys, clock and replay store"
          task :doctor, [:format] => :environment do |_task, args|
            report = Passgate::Rails.doctor
            args[:format] == "json" ? puts(JSON.pretty_generate(report.to_h)) : print(report.text)
            exit 1 unless report.ok?
          end
        end
      end
    end

    # View helpers.
    module Helper
      # The widget's HTML for one form, with the request's CSP nonce
      # (content_security_policy_nonce) unless nonce: is given.
      def passgate_tags(action: nil, nonce: :request, **args)
        nonce = respond_to?(:content_security_policy_nonce) ? content_security_policy_nonce : nil if nonce == :request
        Passgate::Rails.verifier.widget(action: action, nonce: nonce, lang: I18n.locale.to_s, **args).html_safe
      end
    end

    INTEGRATION_KEYS = %i[field].freeze
    # Verifier keys that are not core options: the doctor leaves them out.
    VERIFIER_ONLY_KEYS = %i[logger on_outcome].freeze

    class << self
      attr_writer :verifier

      def verifier
        @verifier ||= build_verifier
      end

      def reset!
        @verifier = nil
      end

      # Add the widget's sources (Verifier#csp) to a
      # ActionDispatch::ContentSecurityPolicy, keeping what it already has.
      def content_security_policy(policy, verifier: self.verifier)
        # A directive the policy lacks fell back to default-src: start from
        # that, so the app's own sources keep working.
        fallback = (policy.directives["default-src"] || ["'self'"]) - ["'none'"]
        verifier.csp.each do |directive, sources|
          present = policy.directives[directive] || fallback
          policy.public_send(directive.tr("-", "_"), *present, *(sources - present))
        end
        policy
      end

      # The user-safe message for an outcome in locale: the app's
      # passgate.<code> translation, else the core's message for that locale
      # (English when the core does not speak it).
      def message(outcome, locale = I18n.locale)
        I18n.t("passgate.#{outcome.code}", locale: locale, default: outcome.message_for(locale.to_s))
      end

      def field
        (::Rails.application.config.passgate[:field] || verifier.form_field).to_s
      end

      # Passgate.doctor on the settings the verifier is built from; the
      # report says which came from config.passgate, the credentials or the
      # environment.
      def doctor
        options, sources = verifier_options
        VERIFIER_ONLY_KEYS.each { |key| options.delete(key) }
        Passgate::DoctorReport.run(options, sources.slice(*options.keys))
      end

      private

      # [options, { option => where it came from }]: config.passgate, then
      # the credentials' captchala: app_key / app_secret for CaptchaLa.
      def verifier_options
        options = ::Rails.application.config.passgate.to_h.transform_keys(&:to_sym)
        INTEGRATION_KEYS.each { |key| options.delete(key) }
        options.compact!
        sources = options.to_h { |key, _| [key, "config.passgate"] }
        credentials = ::Rails.application.respond_to?(:credentials) ? ::Rails.application.credentials : nil
        provider = (options[:provider] || ENV["PASSGATE_PROVIDER"] || "captchala").to_s
        if provider == "captchala"
          %i[app_key app_secret].each do |key|
            next if options.key?(key) || (value = credentials&.dig(:captchala, key)).nil?

            options[key] = value
            sources[key] = "credentials captchala.#{key}"
          end
        end
        [options, sources]
      end

      def build_verifier
        options, = verifier_options
        options[:logger] ||= ::Rails.logger
        Passgate::Verifier.new(**options)
      end
    end

    # A controller concern: `require_captcha` as a before_action and
    # `verify_captcha` returning true or false (like the recaptcha gem's
    # `verify_recaptcha`); the Outcome itself is `passgate_outcome`.
    module Controller
      extend ActiveSupport::Concern

      class_methods do
        # Verify unsafe requests (any method not in Passgate::SAFE_METHODS:
        # POST, PUT, PATCH, DELETE, ...) before the action runs.
        # On failure: JSON requests get {error, message} with the outcome's
        # http_status; HTML requests re-render `render:` (a template or
        # action name; the submitted params stay in `params`) with the message
        # in flash.now[:alert], or a short error page without `render:`.
        def require_captcha(action: nil, field: nil, render: nil, **filter_options)
          before_action(**filter_options) do
            passgate_require!(action: action, field: field, template: render)
          end
        end
      end

      # Validate the request's token now: true when it passed, false
      # otherwise — never the Outcome, which would be truthy on every failure.
      # The Outcome is passgate_outcome (and request.env["passgate.outcome"]).
      # With model:, a failure's user-safe message is added to
      # model.errors[:base] (or to the attribute named by attribute:).
      def verify_captcha(action: nil, field: nil, model: nil, attribute: :base)
        passgate_verify(action: action, field: field)
        outcome = passgate_outcome
        model&.errors&.add(attribute, Passgate::Rails.message(outcome)) unless outcome.ok?
        outcome.ok?
      end

      def passgate_outcome
        @passgate_outcome || request.env["passgate.outcome"]
      end

      private

      def passgate_verify(action:, field:)
        token = params[(field || Passgate::Rails.field).to_s]
        outcome = Passgate::Rails.verifier.validate(token.is_a?(String) ? token : nil,
                                                    client_ip: passgate_client_ip, action: action)
        request.env["passgate.outcome"] = outcome
        @passgate_outcome = outcome
      end

      # request.remote_ip only when the peer is a trusted proxy (Rails would
      # otherwise take a forwarded address from anyone), else the peer.
      def passgate_client_ip
        peer = request.remote_addr
        proxies = ::Rails.application.config.action_dispatch.trusted_proxies ||
                  ActionDispatch::RemoteIp::TRUSTED_PROXIES
        trusted = begin
          address = IPAddr.new(peer.to_s)
          Array(proxies).any? { |proxy| proxy.is_a?(IPAddr) ? proxy.include?(address) : proxy === peer }
        rescue IPAddr::InvalidAddressError, IPAddr::AddressFamilyError
          false
        end
        trusted ? request.remote_ip : peer
      end

      def passgate_require!(action:, field:, template:)
        return if Passgate::SAFE_METHODS.include?(request.request_method)

        outcome = passgate_verify(action: action, field: field)
        return if outcome.ok?

        message = Passgate::Rails.message(outcome)
        if request.format.json? || Passgate::Rack.wants_json?(request.env)
          render json: { error: outcome.code, message: message }, status: outcome.http_status
        elsif template
          flash.now[:alert] = message
          render template, status: outcome.http_status
        else
          # The core's page (no script, so a strict CSP passes) around the
          # translated message, which it escapes.
          render html: Passgate.failure_page(message, I18n.locale.to_s).html_safe, status: outcome.http_status,
                 content_type: "text/html"
        end
      end
    end
  end
end

require "passgate/rack"
