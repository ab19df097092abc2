# frozen_string_literal: true

require "logger"
require "stringio"
require_relative "test_helper"

# Verifier.new(on_outcome:): called once per validation with the Outcome,
# after the log record; what it raises is logged and swallowed.
class OnOutcomeTest < Minitest::Test
  EMULATOR = Emulator.new
  RAW_TOKEN = "pt_RAW_TOKEN_for_on_outcome"

  def test_called_once_per_validation_after_the_log_record
    io = StringIO.new
    seen = []
    verifier = Passgate::Verifier.new(**EMULATOR.options, logger: Logger.new(io),
                                      on_outcome: ->(outcome) { seen << [outcome, io.string.lines.size] })
    first = verifier.validate("pt_rb_on_outcome")
    second = verifier.validate("pt_rb_on_outcome")
    assert_equal [[first, 1], [second, 2]], seen
    assert_equal %w[passed replayed], seen.map { |outcome, _| outcome.code }
    assert_same verifier.on_outcome, verifier.on_outcome
  end

  def test_any_callable_and_from_env
    calls = []
    recorder = Object.new
    recorder.define_singleton_method(:call) { |outcome| calls << outcome.code }
    Passgate::Verifier.new(mode: "test", environment: "test", on_outcome: recorder).validate("pt_test_expired")
    Passgate::Verifier.new(mode: "test", environment: "test", on_outcome: calls.method(:push)).validate("pt_test_passed")
    saved = ENV.to_h
    ENV.update("PASSGATE_MODE" => "test", "PASSGATE_ENVIRONMENT" => "test")
    Passgate::Verifier.from_env(on_outcome: ->(outcome) { calls << outcome.provider }).validate("pt_test_passed")
    assert_equal "expired", calls[0]
    assert_instance_of Passgate::Outcome, calls[1]
    assert_equal "captchala", calls[2]
  ensure
    ENV.replace(saved)
  end

  def test_an_exception_is_logged_and_the_outcome_returned
    io = StringIO.new
    failing = ->(_outcome) { raise ArgumentError, "counter unavailable" }
    verifier = Passgate::Verifier.new(**EMULATOR.options, logger: Logger.new(io), on_outcome: failing)
    outcome = verifier.validate(RAW_TOKEN)
    assert_instance_of Passgate::Outcome, outcome
    lines = io.string.lines
    assert_equal 2, lines.size
    assert_match(/passgate.validate outcome=/, lines[0])
    assert_match(/ERROR -- : passgate.on_outcome error="ArgumentError" message="counter unavailable" outcome="#{outcome.code}"/,
                 lines[1])
    refute_includes io.string, "RAW_TOKEN"
  end

  def test_without_a_logger_the_exception_goes_to_stderr
    verifier = Passgate::Verifier.new(mode: "test", environment: "test", on_outcome: ->(_) { raise "boom" })
    outcome = nil
    _, err = capture_io { outcome = verifier.validate("pt_test_passed") }
    assert_equal "passed", outcome.code
    assert_match(/passgate.on_outcome error="RuntimeError" message="boom" outcome="passed"/, err)
  end

  def test_not_rescued_beyond_standard_error
    verifier = Passgate::Verifier.new(mode: "test", environment: "test", on_outcome: ->(_) { raise Interrupt })
    assert_raises(Interrupt) { verifier.validate("pt_test_passed") }
  end

  def test_a_non_callable_is_a_config_error_naming_on_outcome
    ["count me", 42, :symbol, {}].each do |bad|
      error = assert_raises(Passgate::ConfigError) { Passgate::Verifier.new(mode: "test", environment: "test", on_outcome: bad) }
      assert_match(/\Apassgate config: on_outcome: must respond to call/, error.message)
      assert_kind_of Passgate::Error, error
    end
  end
end
