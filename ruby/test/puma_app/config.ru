# frozen_string_literal: true

# A Rack app behind Passgate::Rack, for Puma cluster mode with preload_app!.
# Validates once while loading (in the master, before the workers fork).

require "json"
require "passgate"

verifier = Passgate::Verifier.from_env
raise "validation in the master failed" unless verifier.validate("pt_puma_master_#{Process.pid}").ok?

use Passgate::Rack, verifier: verifier, paths: ["/login"]
run lambda { |env|
  [200, { "content-type" => "application/json" }, [JSON.generate(code: env["passgate.outcome"].code, pid: Process.pid)]]
}
