# frozen_string_literal: true

require_relative "test_helper"

# Every case of conformance/cases.json through the Ruby binding.
class ConformanceTest < Minitest::Test
  DOC = JSON.parse(File.read(CASES))
  EMULATOR = Emulator.new("--script", CASES)

  def matches?(expected, actual)
    if expected.is_a?(Hash) && expected.key?("$between")
      low, high = expected["$between"]
      return actual.is_a?(Numeric) && low <= actual && actual <= high
    end
    if expected.is_a?(Hash) && expected.key?("$type")
      return { "number" => Numeric, "string" => String, "bool" => [TrueClass, FalseClass], "null" => NilClass }
             .fetch(expected["$type"]).then { |kinds| Array(kinds).any? { |kind| actual.is_a?(kind) } }
    end
    return expected == actual && expected.class == actual.class if [true, false, nil].include?(expected)

    expected == actual
  end

  def token_of(call)
    repeat = call["token_repeat"]
    return repeat["prefix"] + (repeat["char"] * repeat["count"]) if repeat

    call["token"]
  end

  def test_cases_cover_every_code_and_key
    codes = DOC["cases"].flat_map { |c| c["calls"].map { |call| call["expect"]["code"] } }.uniq.sort
    assert_equal Passgate::OUTCOME_CODES.sort, codes
    assert_equal DOC["log_keys"], Passgate::LOG_KEYS
  end

  DOC["cases"].each do |test_case|
    define_method("test_case_#{test_case["name"]}") do
      # defaults.options, then the case's provider's defaults, then its own.
      options = DOC["defaults"]["options"]
                .merge(DOC["defaults"]["provider_options"][test_case["provider"] || "captchala"])
                .merge(test_case["options"] || {})
      options = options.transform_values { |v| v.is_a?(String) ? v.gsub("{emulator}", EMULATOR.url) : v }
      verifier = Passgate::Verifier.new(**options.transform_keys(&:to_sym))
      test_case["calls"].each_with_index do |call, index|
        where = "#{test_case["name"]}[#{index}]"
        token = token_of(call)
        outcome = verifier.validate(token, client_ip: call["client_ip"], action: call["action"], uid: call["uid"],
                                           keep_token: call["keep_token"] || false)
        expect = call["expect"]
        actual = { "ok" => outcome.ok?, "code" => outcome.code, "category" => outcome.category,
                   "retryable" => outcome.retryable?, "http_status" => outcome.http_status }
        problems = actual.filter_map { |key, value| "#{key}: expected #{expect[key].inspect}, got #{value.inspect}" unless matches?(expect[key], value) }
        fields = outcome.log_fields
        assert_equal DOC["log_keys"], fields.keys, where
        expect["log_fields"].each do |key, expected|
          problems << "log_fields.#{key}: expected #{expected.inspect}, got #{fields[key].inspect}" unless matches?(expected, fields[key])
        end
        printed = [outcome.inspect, outcome.to_h.inspect, outcome.log_line, verifier.inspect].join(" ")
        refute_includes printed, options["app_secret"] || options["secret_key"], where
        refute_includes printed, token.strip, where if token && token.strip.length >= 4
        assert_empty problems, where
      end
    end
  end
end
