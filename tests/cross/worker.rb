# frozen_string_literal: true

# Cross-language replay test, Ruby side (see worker.py).
require "json"
require "passgate"

verifier = Passgate::Verifier.new(app_key: "test-app-key", app_secret: "test-app-secret", environment: "test",
                                  api_base: ENV.fetch("EMULATOR_URL"), replay_store: ENV.fetch("REDIS_URL"))
count = Integer(ENV.fetch("PER_PROCESS"))
$stdout.sync = true
puts "ready #{verifier.validate("pt_cross_warmup_ruby").code}"
$stdin.each_line do |line|
  token = line.strip
  codes = Array.new(count) { Thread.new { verifier.validate(token).code } }.map(&:value)
  puts JSON.generate(codes.tally)
end
