# frozen_string_literal: true

# Cross-language replay test, Ruby side (see worker.py).
require "json"
require "passgate"

verifier = Passgate::Verifier.new(app_key: "test-app-key", app_secret: "test-app-secret", environment: "test",
                                  api_base: ENV.fetch("EMULATOR_URL"), replay_store: ENV.fetch("REDIS_URL"))
tokens = ENV.fetch("TOKENS").split(",")
count = Integer(ENV.fetch("PER_PROCESS"))
$stdout.sync = true
puts "ready"
$stdin.gets
result = tokens.to_h do |token|
  codes = Array.new(count) { Thread.new { verifier.validate(token).code } }.map(&:value)
  [token, codes.tally]
end
puts JSON.generate(result)
