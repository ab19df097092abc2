# frozen_string_literal: true

require "json"

module Passgate
  # Checks a deployment before users hit it, as `passgate doctor` does: the
  # configuration (every setting and where it came from), the connection to
  # the provider's API (DNS, TCP, TLS, proxy), the keys (the provider is asked
  # with a bogus token), the clock against the provider's, and the replay
  # store. Options as for Passgate::Verifier.new (logger: and on_outcome: are
  # accepted and ignored); anything not given is read from the environment.
  # Blocks while the network checks run (each bounded by timeout_ms), with
  # the GVL released. Never raises for a failed check: see #ok? and #checks.
  # A setting of the wrong type raises Passgate::ConfigError, as the Verifier
  # does.
  #
  #   report = Passgate.doctor
  #   puts report            # the table
  #   exit 1 unless report.ok?
  #
  # Neither the report nor its JSON ever holds a secret or a token.
  def self.doctor(app_key: nil, app_secret: nil, logger: nil, on_outcome: nil, **options)
    options[:app_key] = app_key unless app_key.nil?
    options[:app_secret] = app_secret unless app_secret.nil?
    DoctorReport.run(options)
  end

  # The doctor's findings: #ok? (no check failed; warnings do not fail),
  # #text (the human table, also #to_s), #checks, #to_h (the JSON shape:
  # { "ok" => ..., "checks" => [{ "name", "status", "summary", "advice",
  # "details" => [{ "name", "value" }] }] }).
  class DoctorReport
    # One check: name ("configuration", "connection", "keys", "clock",
    # "replay_store"), status ("pass", "warn", "fail" or "skip"), a one-line
    # summary, advice (what to change, or nil) and details ({ name => value },
    # safe to print).
    Check = Struct.new(:name, :status, :summary, :advice, :details, keyword_init: true) do
      def pass? = status == "pass"
      def warn? = status == "warn"
      def fail? = status == "fail"
      def skip? = status == "skip"
    end

    # Runs the checks on options ({ name => value }); sources ({ name =>
    # label }) says where given options came from when that is not the call
    # itself ("config.passgate", "credentials.captchala", ...): the
    # configuration check shows the label beside the value.
    def self.run(options, sources = {})
      ok, text, json = Passgate.native_doctor(options, sources)
      new(ok, text, JSON.parse(json))
    end

    attr_reader :text, :checks

    def initialize(ok, text, data)
      @ok = ok
      @text = text.freeze
      @data = data
      @checks = data.fetch("checks").map do |check|
        Check.new(name: check["name"], status: check["status"], summary: check["summary"], advice: check["advice"],
                  details: check["details"].to_h { |detail| [detail["name"], detail["value"]] }.freeze).freeze
      end.freeze
    end

    def ok? = @ok

    # The check named name, or nil.
    def [](name)
      @checks.find { |check| check.name == name.to_s }
    end

    def to_s = @text

    # The JSON shape (a fresh copy each call).
    def to_h = JSON.parse(JSON.generate(@data))

    def to_json(*args) = @data.to_json(*args)

    def inspect
      failed = @checks.select(&:fail?).map(&:name)
      "#<Passgate::DoctorReport ok=#{@ok} failed=#{failed.inspect}>"
    end
  end
end
