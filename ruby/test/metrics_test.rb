# frozen_string_literal: true

require_relative "test_helper"

# Passgate.metrics and Passgate.metrics_text: the process' counters, read
# as before/after deltas (every Verifier in the process counts).
class MetricsTest < Minitest::Test
  EMULATOR = Emulator.new

  def count(provider, outcome)
    entry = Passgate.metrics["validations"].find { |e| e["provider"] == provider && e["outcome"] == outcome }
    entry ? entry["count"] : 0
  end

  def latency_count(provider)
    entry = Passgate.metrics["validation_latency"].find { |e| e["provider"] == provider }
    entry ? entry["duration_seconds"]["count"] : 0
  end

  def upstream_calls(provider)
    entry = Passgate.metrics["upstream"].find { |e| e["provider"] == provider }
    entry ? entry["calls"] : 0
  end

  def test_validations_are_counted_by_provider_and_outcome
    # A verifier each: one would take the second pt_test_passed for a replay.
    verifier = -> { Passgate::Verifier.new(mode: "test", environment: "test", provider: "hcaptcha") }
    passed, replayed, latency = count("hcaptcha", "passed"), count("hcaptcha", "replayed"), latency_count("hcaptcha")
    2.times { verifier.call.validate("pt_test_passed") }
    verifier.call.validate("pt_test_replayed")
    assert_equal passed + 2, count("hcaptcha", "passed")
    assert_equal replayed + 1, count("hcaptcha", "replayed")
    assert_equal latency + 3, latency_count("hcaptcha")
  end

  def test_upstream_calls_against_the_emulator
    verifier = Passgate::Verifier.new(**EMULATOR.options)
    passed, replayed, calls = count("captchala", "passed"), count("captchala", "replayed"), upstream_calls("captchala")
    verifier.validate("pt_rb_metrics_1")
    verifier.validate("pt_rb_metrics_1")
    assert_equal passed + 1, count("captchala", "passed")
    assert_equal replayed + 1, count("captchala", "replayed")
    assert_operator upstream_calls("captchala"), :>, calls
  end

  def test_snapshot_shape
    snapshot = Passgate.metrics
    assert_equal %w[latency_buckets_s replay_live_evictions replay_memory_capacity replay_memory_entries
                    replay_store_errors upstream validation_latency validations], snapshot.keys.sort
    assert_equal [0.005, 10.0], snapshot["latency_buckets_s"].values_at(0, -1)
    snapshot["latency_buckets_s"].clear # a fresh Hash each call
    refute_empty Passgate.metrics["latency_buckets_s"]
  end

  def test_prometheus_text_holds_the_series
    verifier = Passgate::Verifier.new(mode: "test", environment: "test", provider: "turnstile")
    verifier.validate("pt_test_expired")
    text = Passgate.metrics_text
    expired = count("turnstile", "expired")
    assert_includes text, "# TYPE passgate_validations_total counter\n"
    assert_includes text, %(passgate_validations_total{provider="turnstile",outcome="expired"} #{expired}\n)
    assert_includes text, "# TYPE passgate_validation_duration_seconds histogram\n"
    assert_match(/^passgate_validation_duration_seconds_bucket\{provider="turnstile",le="\+Inf"\} \d+$/, text)
    assert_match(/^passgate_validation_duration_seconds_count\{provider="turnstile"\} #{latency_count("turnstile")}$/, text)
    assert_includes text, "passgate_replay_live_evictions_total "
    assert text.valid_encoding?
  end
end
