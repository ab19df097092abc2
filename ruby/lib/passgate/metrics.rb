# frozen_string_literal: true

require "json"

module Passgate
  # This process' counters and latency histograms, counted by every
  # Verifier in the process since it started (puma workers, forked
  # processes each count their own):
  #
  #   {
  #     "validations" => [{ "provider" => "captchala", "outcome" => "passed", "count" => 12 }, ...],
  #     "validation_latency" => [{ "provider", "duration_seconds" => { "buckets" => [{ "le", "count" }], "count", "sum" } }],
  #     "upstream" => [{ "provider", "calls", "retries", "duration_seconds" => {...} }],
  #     "replay_store_errors" => [{ "store", "count" }],
  #     "replay_live_evictions" => 0,
  #     "replay_memory_entries" => 0, "replay_memory_capacity" => 0,   # this process' memory stores
  #     "latency_buckets_s" => [0.005, ...]
  #   }
  #
  # A fresh Hash on every call.
  def self.metrics = JSON.parse(metrics_json)

  # metrics_text (defined by the native extension): the same metrics in
  # Prometheus' text exposition format (0.0.4), series named passgate_*:
  # serve it from a Rack endpoint (README: Metrics).
end
